package imagecli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// runInspect implements `stratus image inspect [-f DECLARED_FORMAT] FILE`.
// It prints the inspection result as indented JSON on stdout and exits 0
// when the image is safe, 1 when it is refused (with "refused: REASON" on
// stderr) or cannot be read, and 2 on usage errors.
func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stratus image inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	declared := fs.String("f", "", "declared disk format (raw, qcow2, vmdk, vhd, vhdx, vdi, iso, ...); refuse the image if its content differs")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stratus image inspect [-f DECLARED_FORMAT] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	format, err := diskimage.ParseFormat(*declared)
	if err != nil {
		fmt.Fprintf(stderr, "stratus image inspect: -f: %s\n", reason(err))
		return 2
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "stratus image inspect: %v\n", err)
		return 1
	}

	info, err := diskimage.InspectFile(fs.Arg(0), format)
	if info != nil {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(info); werr != nil {
			fmt.Fprintf(stderr, "stratus image inspect: writing output: %v\n", werr)
			return 1
		}
	}
	switch {
	case err == nil:
		return 0
	case diskimage.KindOf(err) == diskimage.KindIO:
		fmt.Fprintf(stderr, "stratus image inspect: %v\n", err)
	default:
		fmt.Fprintf(stderr, "refused: %s\n", reason(err))
	}
	return 1
}

// reason is the user-facing part of a diskimage error.
func reason(err error) string {
	var de *diskimage.Error
	if errors.As(err, &de) {
		return de.Reason
	}
	return err.Error()
}
