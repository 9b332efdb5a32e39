package diskimage

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// An inspector knows one format: match looks for its signature (from the
// buffered head, or the tail for vhd) and check parses the metadata,
// filling Info and recording findings. check returns an error only when
// reading fails; everything about the content is a finding.
type inspector struct {
	format Format
	match  func(s *source) bool
	check  func(s *source, r *result) error
}

// inspectors in priority order: when content is ambiguous the first match
// is the format reported alongside the refusal.
var inspectors = []inspector{
	{FormatQCOW2, matchQCOW2, checkQCOW2},
	{FormatQED, matchQED, checkQED},
	{FormatVMDK, matchVMDK, checkVMDK},
	{FormatVHDX, matchVHDX, checkVHDX},
	{FormatVDI, matchVDI, checkVDI},
	{FormatLUKS, matchLUKS, checkLUKS},
	{FormatVHD, matchVHD, checkVHD},
	{FormatISO, matchISO, checkWholeFile},
	{FormatGPT, matchGPT, checkGPT},
	{FormatMBR, matchMBR, checkWholeFile},
}

func inspectorFor(f Format) inspector {
	for _, in := range inspectors {
		if in.format == f {
			return in
		}
	}
	return inspector{FormatRaw, nil, checkWholeFile}
}

// Inspect detects the format of the image in r (size bytes long) and checks
// it for safety. declared is the format the user claimed ("" skips the
// comparison); see compatible for which declarations accept which content.
// It returns the Info and, if the image must be refused, a *Error of kind
// KindUnsafe, KindCorrupt or KindUnsupported whose Reason names every
// refusal; the Info is returned with refusals too, so callers can show it.
// When reading fails the error is of KindIO and the Info is nil.
// Only r is read, at most MaxInspectRead bytes of it.
func Inspect(r io.ReaderAt, size int64, declared Format) (*Info, error) {
	decl, err := ParseFormat(string(declared))
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, Errorf(KindIO, "", "negative image size %d", size)
	}
	s, err := newReaderSource(r, size)
	if err != nil {
		return nil, err
	}
	return inspectSource(s, decl)
}

// InspectFile opens path, and nothing else, and inspects it. Anything but a
// regular file is refused: reading a FIFO or a device could block or never
// end.
func InspectFile(path string, declared Format) (*Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Kind: KindIO, Reason: "opening image", Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &Error{Kind: KindIO, Reason: "stat of image", Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, Errorf(KindUnsupported, "", "not a regular file (%s)", fi.Mode().Type())
	}
	return Inspect(f, fi.Size(), declared)
}

// InspectPrefix inspects an upload from the first bytes of its stream.
// head must hold at least min(totalSize, DetectPrefixSize) bytes, otherwise
// the error wraps ErrNeedMoreData. Every refusal whose evidence lies in
// head is made; a check whose data lies beyond head becomes a "warn"
// finding saying so. What suffices, per format:
//
//	qcow2, qed, vdi, luks, iso, gpt, mbr: DetectPrefixSize (the headers
//	      are at most a few KiB; qcow2 header extensions are only looked
//	      for in the first DetectPrefixSize bytes)
//	vmdk: the end of the embedded descriptor (sector 1 + 20 sectors, i.e.
//	      10.5 KiB, for qemu-img and VMware images), plus the tail for
//	      streamOptimized images whose grain directory is at the end
//	vhd:  the footer copy and the dynamic header (1.5 KiB for qemu-img and
//	      Microsoft images) plus the tail, whose footer copy is compared;
//	      fixed images are only recognisable from the tail and look raw
//	      (or gpt/mbr/iso) without it
//	vhdx: the metadata table and items: region offset + 64 KiB + item
//	      bytes, 2 MiB + 64 KiB + 16 bytes for qemu-img
//
// FullPrefixSize covers all of these. Callers that cannot also keep the
// tail must re-inspect the stored file (Inspect) when NeedsTail(format).
func InspectPrefix(head []byte, totalSize int64, declared Format) (*Info, error) {
	return InspectHeadTail(head, nil, totalSize, declared)
}

// InspectHeadTail is InspectPrefix with the last bytes of the stream too
// (TailSize suffices): with both, a streaming upload gets the same verdict
// as Inspect for every image whose metadata lies within head.
func InspectHeadTail(head, tail []byte, totalSize int64, declared Format) (*Info, error) {
	decl, err := ParseFormat(string(declared))
	if err != nil {
		return nil, err
	}
	s, err := bufferSource(head, tail, totalSize)
	if err != nil {
		return nil, err
	}
	info, err := inspectSource(s, decl)
	if info != nil && int64(len(s.head)+len(s.tail)) < totalSize && len(s.tail) < vhdFooterSize {
		switch info.Format {
		case FormatRaw, FormatGPT, FormatMBR, FormatISO:
			info.Findings = append(info.Findings, Finding{SeverityWarn,
				"end of the image not checked: a vhd footer there would make this a fixed vhd"})
		}
	}
	return info, err
}

// Detect reports the format of an image from the first bytes of its
// stream, without any safety verdict. It needs min(totalSize,
// DetectPrefixSize) bytes, otherwise the error wraps ErrNeedMoreData.
// Content matching two formats is an error of KindUnsafe. A fixed vhd is
// reported as raw (or gpt/mbr/iso): its signature is in the tail.
func Detect(head []byte, totalSize int64) (Format, error) {
	s, err := bufferSource(head, nil, totalSize)
	if err != nil {
		return "", err
	}
	f, all := detect(s)
	if f == "" {
		return all[0], ambiguous(all)
	}
	return f, nil
}

func bufferSource(head, tail []byte, totalSize int64) (*source, error) {
	if totalSize < 0 {
		return nil, Errorf(KindIO, "", "negative image size %d", totalSize)
	}
	if int64(len(head)) < min(totalSize, DetectPrefixSize) {
		return nil, &Error{Kind: KindIO, Reason: fmt.Sprintf("have %d bytes of the head, need %d",
			len(head), min(totalSize, DetectPrefixSize)), Err: ErrNeedMoreData}
	}
	return newBufferSource(head, tail, totalSize), nil
}

// detect returns the single format the content is, or "" and every format
// it matched when it is ambiguous. Two exceptions keep legitimate images:
// an ISO may also carry an MBR or GPT (hybrid boot media, as Glance
// allows), and a fixed vhd's payload is a raw disk that may itself be
// partitioned or an ISO.
func detect(s *source) (Format, []Format) {
	var all []Format
	for _, in := range inspectors {
		if in.match(s) {
			all = append(all, in.format)
		}
	}
	only := func(f Format, allowed ...Format) bool {
		for _, m := range all {
			if m != f && !slices.Contains(allowed, m) {
				return false
			}
		}
		return slices.Contains(all, f)
	}
	switch {
	case len(all) == 0:
		return FormatRaw, nil
	case len(all) == 1:
		return all[0], nil
	case !vhdAtHead(s) && only(FormatVHD, FormatGPT, FormatMBR, FormatISO):
		return FormatVHD, all
	case only(FormatISO, FormatGPT, FormatMBR):
		return FormatISO, all
	}
	return "", all
}

func ambiguous(all []Format) error {
	return Errorf(KindUnsafe, string(all[0]), "content matches more than one format (%s)", joinFormats(all))
}

func joinFormats(fs []Format) string {
	ss := make([]string, len(fs))
	for i, f := range fs {
		ss[i] = string(f)
	}
	return strings.Join(ss, ", ")
}

func inspectSource(s *source, declared Format) (*Info, error) {
	r := &result{info: Info{ActualSize: s.size}}
	f, all := detect(s)
	switch {
	case f == "":
		r.info.Format = all[0]
		r.refuse(KindUnsafe, "content matches more than one format (%s)", joinFormats(all))
	default:
		r.info.Format = f
		if f == FormatISO && len(all) > 1 {
			r.warn("hybrid ISO: also carries a %s partition table", all[len(all)-1])
		}
		if err := inspectorFor(f).check(s, r); err != nil {
			return nil, err
		}
	}
	if !compatible(declared, r.info.Format) {
		r.refuse(KindUnsafe, "declared format %s does not match the detected format %s", declared, r.info.Format)
	}
	return r.verdict()
}

// checkWholeFile serves raw, iso and mbr: the disk is the file itself.
func checkWholeFile(s *source, r *result) error {
	r.info.VirtualSize = s.size
	return nil
}

// hasAt reports whether b holds sig at off.
func hasAt(b []byte, off int, sig string) bool {
	return len(b) >= off+len(sig) && bytes.Equal(b[off:off+len(sig)], []byte(sig))
}
