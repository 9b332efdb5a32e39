package diskimage

import (
	"bytes"
	"runtime/metrics"
	"testing"
)

// Fuzz targets: one per header parser, each forcing its format's magic so
// the fuzzer spends its time on the fields behind it, plus FuzzInspect
// over arbitrary content. All of them go through checkInvariants: no
// panic, reads within MaxInspectRead, allocation bounded, and a verdict
// consistent with the findings.
//
// Go's minimiser is quadratic in input length and these formats yield new
// coverage quickly, so short runs spend most of their time minimising; for
// exploration run with -fuzzminimizetime=0x (or a second or so), e.g.
//
//	go test -run='^$' -fuzz='^FuzzVMDK$' -fuzztime=10s -fuzzminimizetime=0x ./internal/diskimage/

// maxAllocPerInspect bounds what one inspection may allocate: the read
// budget plus the head buffer and parsing garbage, whatever the input.
const maxAllocPerInspect = 3 * MaxInspectRead

func checkInvariants(t *testing.T, data []byte, declared Format) {
	t.Helper()
	rec := &recordingReaderAt{r: bytes.NewReader(data)}
	before := allocatedBytes()
	info, err := Inspect(rec, int64(len(data)), declared)
	if d := allocatedBytes() - before; d > maxAllocPerInspect {
		t.Errorf("inspection allocated %d bytes", d)
	}
	if rec.total > MaxInspectRead {
		t.Errorf("inspection read %d bytes", rec.total)
	}
	checkVerdict(t, info, err)
	if info != nil && info.ActualSize != int64(len(data)) {
		t.Errorf("actual size %d, want %d", info.ActualSize, len(data))
	}

	// The streaming entry points must hold up on the same bytes and, with
	// the whole file as head, agree with Inspect.
	whole, werr := InspectHeadTail(data, nil, int64(len(data)), declared)
	checkVerdict(t, whole, werr)
	if info != nil && whole != nil && (whole.Format != info.Format || whole.VirtualSize != info.VirtualSize || whole.Safe != info.Safe) {
		t.Errorf("whole-buffer inspection %+v differs from Inspect %+v", whole, info)
	}
	if len(data) > DetectPrefixSize {
		head := data[:DetectPrefixSize]
		p, perr := InspectHeadTail(head, data[len(data)-min(len(data), TailSize):], int64(len(data)), declared)
		checkVerdict(t, p, perr)
		_, _ = Detect(head, int64(len(data)))
	}
}

// allocatedBytes is the process's cumulative heap allocation. It uses
// runtime/metrics rather than ReadMemStats, which stops the world and made
// fuzz minimisation crawl.
func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func checkVerdict(t *testing.T, info *Info, err error) {
	t.Helper()
	if err != nil && KindOf(err) == KindIO {
		t.Fatalf("I/O error from an in-memory image: %v", err)
	}
	if info == nil {
		t.Fatalf("no Info (err %v)", err)
	}
	if (err == nil) != info.Safe || info.Safe == hasRefusal(info) {
		t.Errorf("verdict inconsistent: err %v, info %+v", err, info)
	}
	if info.VirtualSize < 0 || info.ClusterSize < 0 {
		t.Errorf("negative sizes: %+v", info)
	}
}

// withMagic returns data with sig written at off, padded as needed.
func withMagic(data []byte, off int, sig string) []byte {
	if len(data) > 1<<20 {
		data = data[:1<<20]
	}
	b := make([]byte, max(len(data), off+len(sig)))
	copy(b, data)
	copy(b[off:], sig)
	return b
}

func FuzzInspect(f *testing.F) {
	for _, seed := range [][]byte{
		nil, []byte("x"), buildQCOW2(2, 16, 1<<20)[:512], buildQCOW2(3, 9, 1<<30), buildQED(1 << 20)[:512],
		smallVMDK("streamOptimized"),
		[]byte(vmdkDescriptorText("monolithicFlat", `RW 2048 FLAT "a-flat.vmdk" 0`)),
		buildVHDDynamic(4 << 20), buildVHDFixed(make([]byte, 4096)), buildVDI(1<<20, vdiTypeDynamic),
		buildLUKS(1, 8, 8192), buildLUKS(2, 8, 8192), buildISO(40 << 10), buildMBR(4096, true),
		buildMBR(4096, false), buildFAT(4096),
	} {
		f.Add(seed, "")
	}
	f.Add(buildQCOW2(3, 16, 1<<20), "raw")
	f.Add(buildMBR(4096, true), "raw")
	f.Fuzz(func(t *testing.T, data []byte, declared string) {
		d, err := ParseFormat(declared)
		if err != nil {
			return
		}
		checkInvariants(t, data, d)
	})
}

func FuzzQCOW2(f *testing.F) {
	f.Add(buildQCOW2(2, 16, 1<<20)[:512])
	f.Add(buildQCOW2(3, 12, 1<<30)[:4096])
	f.Add(qcow2WithExtension(qcow2ExtDataFile, "data.raw")[:1024])
	f.Add(putBE32(buildQCOW2(3, 16, 1<<20), 12, 200)[:512])
	f.Add(putBE32(buildQCOW2(3, 14, 1<<30), 76, qcow2ExtendedL2)[:512])
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariants(t, withMagic(data, 0, qcow2Magic), "") })
}

func FuzzQED(f *testing.F) {
	f.Add(buildQED(1 << 20)[:128])
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariants(t, withMagic(data, 0, qedMagic), "") })
}

// FuzzVMDK covers the sparse header, the footer and the embedded
// descriptor together.
func FuzzVMDK(f *testing.F) {
	f.Add(smallVMDK("monolithicSparse"))
	stream := smallVMDK("streamOptimized")
	f.Add(streamWithFooter(stream, nil))
	f.Add(streamWithFooter(stream, func(b []byte) { le.PutUint64(b[12:], 7) }))
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariants(t, withMagic(data, 0, vmdkMagic), FormatVMDK) })
}

// smallVMDK keeps fuzz seeds small (minimising large inputs is slow): a
// header and a 2-sector descriptor.
func smallVMDK(createType string) []byte {
	b := buildVMDK(2048, vmdkDescriptorText(createType, `RW 2048 SPARSE "a.vmdk"`))
	le.PutUint64(b[36:], 2)
	clear(b[3*512:])
	return b[:3*512]
}

func FuzzVMDKDescriptor(f *testing.F) {
	f.Add(vmdkDescriptorText("monolithicSparse", `RW 2048 SPARSE "a.vmdk"`))
	f.Add(vmdkDescriptorText("vmfs", `RW 2048 VMFS "/vmfs/volumes/x/a-flat.vmdk" 12`))
	f.Add("createType=\"streamOptimized\"\nRDONLY 1 ZERO\nNOACCESS 5 SPARSE \"a\" x\nparentFileNameHint=\"../b\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		if d, err := parseVMDKDescriptor([]byte(text)); err == nil {
			r := &result{}
			checkVMDKDescriptor(d, r)
			if _, err := r.verdict(); (err != nil) != r.refused {
				t.Errorf("descriptor verdict %v, refused %v", err, r.refused)
			}
		}
		// Embedded in a sparse image and as a text-only file.
		checkInvariants(t, buildVMDK(2048, clip(text, 10000)), "")
		checkInvariants(t, []byte(text), "")
	})
}

// FuzzVHD places the fuzzed footer at the start (dynamic layout) or at the
// end (fixed layout).
func FuzzVHD(f *testing.F) {
	f.Add(buildVHDDynamic(4<<20), false)
	f.Add(vhdFooter(vhdTypeFixed, 4096, ^uint64(0)), true)
	f.Add(vhdFooter(vhdTypeDifferencing, 4096, 512), false)
	f.Fuzz(func(t *testing.T, data []byte, atEnd bool) {
		if !atEnd {
			checkInvariants(t, withMagic(data, 0, vhdCookie), "")
			return
		}
		footer := withMagic(data, 0, vhdCookie)
		if len(footer) < vhdFooterSize {
			footer = append(footer, make([]byte, vhdFooterSize-len(footer))...)
		}
		img := append(make([]byte, 4096), footer[:vhdFooterSize]...)
		checkInvariants(t, img, "")
	})
}

// FuzzVHDX takes the region table, the metadata table and the metadata
// items separately and lays them out where buildVHDX puts them (region
// table at 192 KiB, metadata region at 256 KiB, items 64 KiB into it), so
// inputs stay small.
func FuzzVHDX(f *testing.F) {
	const meta = 256 << 10
	img := buildVHDX(1<<30, 32<<20, 0)
	f.Add(img[vhdxRegionTableOff:vhdxRegionTableOff+256], img[meta:meta+128], img[meta+64<<10:meta+64<<10+16])
	f.Fuzz(func(t *testing.T, regions, table, items []byte) {
		if len(regions) > 64<<10 || len(table) > 64<<10 || len(items) > 1<<20 {
			return
		}
		b := make([]byte, meta+64<<10+max(len(items), 64<<10))
		copy(b, img[:vhdxRegionTableOff]) // identifier and valid headers
		copy(b[vhdxRegionTableOff:], regions)
		copy(b[meta:], table)
		copy(b[meta+64<<10:], items)
		// Checksum the region table so the fuzzer gets past it; the
		// unsummed variant exercises the checksum refusal.
		checkInvariants(t, b, "")
		vhdxSum(b[vhdxRegionTableOff:vhdxRegionTableOff+vhdxRegionTableLen], 4)
		checkInvariants(t, b, "")
	})
}

func FuzzVDI(f *testing.F) {
	f.Add(buildVDI(4<<20, vdiTypeDynamic))
	f.Add(buildVDI(4<<20, vdiTypeDiff))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := withMagic(data, 0x40, "\x7f\x10\xda\xbe")
		checkInvariants(t, b, "")
	})
}

func FuzzLUKS(f *testing.F) {
	f.Add(buildLUKS(1, 8, 8192))
	f.Add(buildLUKS(2, 8, 1024))
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariants(t, withMagic(data, 0, luksMagic), "") })
}

// FuzzISO fuzzes the volume descriptor sector and what precedes it.
func FuzzISO(f *testing.F) {
	f.Add(buildISO(36 << 10)[32768:], []byte{})
	f.Add(buildISO(36 << 10)[32768:], buildMBR(512, false))
	f.Fuzz(func(t *testing.T, descriptor, boot []byte) {
		if len(descriptor) > 1<<20 || len(boot) > 32768 {
			return
		}
		b := make([]byte, 32768+max(len(descriptor), 8))
		copy(b, boot)
		copy(b[32768:], descriptor)
		copy(b[32769:], "CD001")
		checkInvariants(t, b, FormatISO)
	})
}

// FuzzGPTMBR fuzzes the boot sector and the GPT header sectors.
func FuzzGPTMBR(f *testing.F) {
	f.Add(buildMBR(8192, true))
	f.Add(buildMBR(8192, false))
	f.Add(buildFAT(1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkInvariants(t, withMagic(data, 510, "\x55\xaa"), "")
	})
}
