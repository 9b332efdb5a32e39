// Command convbench times one stratus conversion for bench/diskimage/run.sh
// (convert.ConvertFile with the output fsynced), and makes the benchmark's
// mixed-content source image.
//
//	convbench -mkimage PATH -size 1G
//	convbench -f qcow2 -O raw [-c] SRC DST
//	convbench -f qcow2 -O raw SRC null   # decode only: the output is discarded
//
// It prints "seconds=<wall> hwm_kib=<peak RSS>" on stdout.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
)

func main() {
	mk := flag.String("mkimage", "", "write the mixed-content raw image to this path and exit")
	sizeMiB := flag.Int64("size-mib", 1024, "size of -mkimage in MiB")
	src := flag.String("f", "", "source format")
	dst := flag.String("O", "raw", "output format")
	compress := flag.Bool("c", false, "compressed qcow2 output")
	workers := flag.Int("workers", 0, "workers (default GOMAXPROCS)")
	cpuprof := flag.String("cpuprofile", "", "write a CPU profile here")
	tracef := flag.String("trace", "", "write an execution trace here")
	flag.Parse()
	if *tracef != "" {
		tf, err := os.Create(*tracef)
		if err == nil {
			trace.Start(tf)
			defer trace.Stop()
		}
	}
	if *cpuprof != "" {
		pf, err := os.Create(*cpuprof)
		if err == nil {
			pprof.StartCPUProfile(pf)
			defer pprof.StopCPUProfile()
		}
	}
	if *mk != "" {
		if err := mkimage(*mk, *sizeMiB<<20); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: convbench -f FMT -O FMT [-c] SRC DST")
		os.Exit(2)
	}
	opts := convert.Options{SrcFormat: *src, DstFormat: *dst, Compress: *compress, Workers: *workers, Sync: true}
	t0 := time.Now()
	var err error
	if flag.Arg(1) == "null" {
		err = convertToNull(flag.Arg(0), opts)
	} else {
		_, err = convert.ConvertFile(context.Background(), flag.Arg(0), flag.Arg(1), opts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	fmt.Printf("seconds=%.3f hwm_kib=%d\n", time.Since(t0).Seconds(), hwm())
}

// convertToNull converts path into an output that discards every write:
// the decode-only variant, which measures the engine without the disk
// (run.sh times qemu-img against its null-co driver the same way).
func convertToNull(path string, opts convert.Options) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	// Random access, as ConvertFile reads every file (streamOptimized vmdk
	// included, through its grain tables).
	src := convert.Source{ReaderAt: f, Size: st.Size()}
	_, err = convert.Convert(context.Background(), src, nullFile{}, opts)
	return err
}

// nullFile is an output file that keeps nothing.
type nullFile struct{}

func (nullFile) Write(p []byte) (int, error)            { return len(p), nil }
func (nullFile) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
func (nullFile) Truncate(int64) error                   { return nil }

// mkimage writes a raw image cycling through 16 MiB pieces of random
// bytes, compressible text, written zeros and holes (a quarter each).
func mkimage(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	const piece = 16 << 20
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, piece)
	var text bytes.Buffer
	words := strings.Fields("the quick brown fox jumps over lazy dog stratus image qcow2 vmdk cluster grain table sector block " +
		"kernel initrd root filesystem inode journal superblock extent allocation bitmap")
	for text.Len() < piece {
		fmt.Fprintf(&text, "%s %d %s\n", words[rng.Intn(len(words))], rng.Intn(100000), words[rng.Intn(len(words))])
	}
	zeros := make([]byte, piece)
	for off, i := int64(0), 0; off < size; off, i = off+piece, i+1 {
		var b []byte
		switch i % 4 {
		case 0:
			rng.Read(random)
			b = random
		case 1:
			b = text.Bytes()[:piece]
		case 2:
			b = zeros
		case 3:
			continue // hole
		}
		if _, err := f.WriteAt(b[:min(piece, size-off)], off); err != nil {
			return err
		}
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

func hwm() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var n int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%d", &n)
			return n
		}
	}
	return -1
}
