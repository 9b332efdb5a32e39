// Package imagecli implements the `stratus image` subcommands (inspect,
// convert) on top of internal/diskimage.
package imagecli

import (
	"context"
	"fmt"
	"io"
)

// Run executes `stratus image ARGS...` and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: stratus image inspect|convert ...")
		return 2
	}
	switch args[0] {
	case "inspect":
		return runInspect(ctx, args[1:], stdout, stderr)
	case "convert":
		return runConvert(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "stratus image: unknown command %q (want inspect or convert)\n", args[0])
		return 2
	}
}
