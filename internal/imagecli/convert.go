package imagecli

import (
	"context"
	"fmt"
	"io"
)

func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stratus image convert: not built yet")
	return 1
}
