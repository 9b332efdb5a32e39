package imagecli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
)

const convertUsage = `usage: stratus image convert [-f SRC_FMT] -O DST_FMT [-c] [-o compression=on|off] [-p] [-q]
                            [--checksum md5,sha1,sha256,sha512] [--src-checksum LIST] [--out-checksum LIST]
                            [--sync] SRC DST
  formats read: raw, qcow2, vmdk, vhd (vpc), vhdx; written: raw, qcow2, vmdk (streamOptimized)`

// runConvert implements `stratus image convert`, modelled on
// `qemu-img convert`.
func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	src := fs.String("f", "", "source format (probed when omitted)")
	dst := fs.String("O", "raw", "output format")
	compress := fs.Bool("c", false, "compress the output (qcow2)")
	progress := fs.Bool("p", false, "show progress even when stderr is not a terminal")
	quiet := fs.Bool("q", false, "no progress")
	sums := fs.String("checksum", "", "comma-separated checksums of the source and output to print")
	srcSums := fs.String("src-checksum", "", "checksums of the source only (replaces -checksum's for the source)")
	outSums := fs.String("out-checksum", "", "checksums of the output only (replaces -checksum's for the output)")
	syncOut := fs.Bool("sync", false, "fsync the output before exiting")
	workers := fs.Int("workers", 0, "parallel workers (default: all cores)")
	var opts []string
	fs.Func("o", "output options: compression=on|off", func(s string) error {
		opts = append(opts, strings.Split(s, ",")...)
		return nil
	})
	// Like qemu-img, flags may follow the file names.
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			fmt.Fprintf(stderr, "stratus image convert: %v\n%s\n", err, convertUsage)
			return 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		rest = rest[1:]
	}
	for _, o := range opts {
		switch strings.TrimSpace(o) {
		case "compression=on", "compression=true":
			*compress = true
		case "compression=off", "compression=false":
			*compress = false
		case "":
		default:
			fmt.Fprintf(stderr, "stratus image convert: unknown option %q\n%s\n", o, convertUsage)
			return 2
		}
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "stratus image convert: want SRC and DST\n%s\n", convertUsage)
		return 2
	}
	srcFmt, err := diskimage.ParseFormat(*src)
	if err != nil {
		fmt.Fprintf(stderr, "stratus image convert: %v\n", err)
		return 2
	}
	dstFmt, err := diskimage.ParseFormat(*dst)
	if err != nil {
		fmt.Fprintf(stderr, "stratus image convert: %v\n", err)
		return 2
	}
	if *compress && dstFmt != diskimage.FormatQCOW2 && dstFmt != diskimage.FormatVMDK {
		fmt.Fprintf(stderr, "stratus image convert: compression needs -O qcow2 or vmdk\n")
		return 2
	}
	o := convert.Options{SrcFormat: string(srcFmt), DstFormat: string(dstFmt), Compress: *compress, Workers: *workers}
	if *sums != "" {
		o.Hashes = strings.Split(*sums, ",")
	}
	if *srcSums != "" {
		o.SrcHashes = strings.Split(*srcSums, ",")
	}
	if *outSums != "" {
		o.OutHashes = strings.Split(*outSums, ",")
	}
	o.Sync = *syncOut
	if !*quiet && (*progress || isTerminal(stderr)) {
		bar := &progressBar{w: stderr}
		o.Progress = bar.update
		defer bar.finish()
	}
	res, err := convert.ConvertFile(ctx, pos[0], pos[1], o)
	if err != nil {
		fmt.Fprintf(stderr, "stratus image convert: %v\n", err)
		if diskimage.KindOf(err) == diskimage.KindIO {
			return 1
		}
		return 3
	}
	printSums(stdout, "source", res.SrcSums)
	printSums(stdout, "output", res.OutSums)
	return 0
}

func printSums(w io.Writer, what string, m map[string]string) {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "%s %s %s\n", what, n, m[n])
	}
}

// isTerminal reports whether w is a character device (a TTY).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws qemu-img style progress, at most every 100ms.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	pct   float64
	drawn bool
}

func (p *progressBar) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pct := 100.0
	if total > 0 {
		pct = float64(done) * 100 / float64(total)
	}
	p.pct = pct
	if now := time.Now(); p.drawn && now.Sub(p.last) < 100*time.Millisecond && done < total {
		return
	} else {
		p.last = now
	}
	p.draw()
}

func (p *progressBar) draw() {
	const width = 40
	n := int(p.pct / 100 * width)
	fmt.Fprintf(p.w, "\r    [%s%s] %6.2f%%", strings.Repeat("#", n), strings.Repeat(" ", width-n), p.pct)
	p.drawn = true
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		p.draw()
		fmt.Fprintln(p.w)
	}
}
