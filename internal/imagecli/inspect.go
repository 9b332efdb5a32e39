package imagecli

import (
	"context"
	"fmt"
	"io"
)

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "stratus image inspect: not built yet")
	return 1
}
