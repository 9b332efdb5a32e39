package diskimage

import (
	"fmt"
	"strings"
)

// Format names a disk-image container format. The values are the Glance
// disk_format names where Glance has one.
type Format string

const (
	FormatRaw   Format = "raw"
	FormatQCOW2 Format = "qcow2"
	FormatVMDK  Format = "vmdk"
	FormatVHD   Format = "vhd"
	FormatVHDX  Format = "vhdx"
	FormatVDI   Format = "vdi"
	FormatQED   Format = "qed"
	FormatISO   Format = "iso"
	FormatGPT   Format = "gpt"
	FormatMBR   Format = "mbr"
	FormatLUKS  Format = "luks"
)

// Severity values of a Finding.
const (
	SeverityRefuse = "refuse" // the image must not be accepted
	SeverityWarn   = "warn"   // worth telling the user, not a reason to refuse
)

// Finding is one observation made while inspecting an image.
type Finding struct {
	Severity string `json:"severity"` // "refuse" or "warn"
	Reason   string `json:"reason"`
}

// Info is what inspection learned about an image.
type Info struct {
	Format      Format    `json:"format"`
	Subformat   string    `json:"subformat,omitempty"` // vmdk createType, vhd "fixed"/"dynamic", qcow2 "v2"/"v3"
	VirtualSize int64     `json:"virtual_size"`
	ActualSize  int64     `json:"actual_size"`            // file size
	ClusterSize int64     `json:"cluster_size,omitempty"` // qcow2 cluster / vmdk grain bytes / vhd, vhdx, vdi block
	Compression string    `json:"compression,omitempty"`  // "zlib", "zstd", "deflate"
	Findings    []Finding `json:"findings,omitempty"`
	Safe        bool      `json:"safe"`
}

// Sizes that bound inspection. They are part of the contract with streaming
// callers (see InspectPrefix).
const (
	// DetectPrefixSize is how much of the head of an image Detect needs:
	// every signature this package knows lives in the first 36 KiB (the ISO
	// volume descriptor at 32 KiB is the furthest).
	DetectPrefixSize = 64 << 10

	// FullPrefixSize is a head that holds all the metadata this package
	// reads for images written by qemu-img, VMware and VirtualBox: the vmdk
	// descriptor ends within the first 64 KiB, the vhdx metadata region of
	// qemu-img images starts at 2 MiB.
	FullPrefixSize = 4 << 20

	// TailSize is how much of the end of an image the checks that need the
	// tail read: the vhd footer (512 bytes) and the streamOptimized vmdk
	// footer marker, footer and end-of-stream marker (3 × 512 bytes).
	TailSize = 1536

	// MaxInspectRead caps the bytes Inspect reads through the io.ReaderAt,
	// whatever the headers claim.
	MaxInspectRead = 4 << 20
)

// Limits on header fields. A reader sized from a header field must not be
// able to allocate without bound; the converters rely on these having been
// checked. qcow2's limits are qemu's own (QCOW_MAX_L1_SIZE,
// QCOW_MAX_REFTABLE_SIZE); the others are stratus choices recorded in
// docs/decisions.md.
// MaxVMDKGrainSectors is the largest vmdk grain (in 512-byte sectors) that
// inspection accepts and the vmdk reader reads: 2 MiB, the conversion
// pipeline's chunk, which an extent may not cross. qemu reads grains up to
// 1 GiB; larger ones than ours are refused as unsupported.
const MaxVMDKGrainSectors = 4096

const (
	maxQCOW2L1Bytes       = 32 << 20
	maxQCOW2RefTableBytes = 8 << 20
	maxQCOW2Snapshots     = 65536
	maxTableBytes         = 64 << 20 // vmdk grain directory, vhd/vhdx BAT, vdi block map
	maxVMDKGrainAbsurd    = 1 << 21  // 1 GiB grains: qemu's own limit
	maxVMDKDescriptor     = 1 << 20
	maxVMDKGTEsPerGT      = 512
	maxBlockSize          = 256 << 20 // vhd, vhdx, vdi block
)

// NeedsTail reports whether checking an image of format f needs the last
// TailSize bytes of the file as well as its head. A streaming caller that
// detected f from the head must keep the tail and call InspectHeadTail (or
// Inspect on the stored file) before trusting the verdict.
//
// raw, gpt, mbr and iso also answer true: a fixed vhd is indistinguishable
// from raw content until its footer, at the very end, has been seen. For
// the other formats the head alone gives the final format, size and
// refusals, except one: a vhd footer appended to, say, a qcow2 makes the
// content match two formats, which only a check with the tail
// (InspectHeadTail, Inspect) can see. qemu never looks there, so this is
// defence in depth rather than a hole in a head-only verdict.
func NeedsTail(f Format) bool {
	switch f {
	case FormatVHD, FormatVMDK, FormatRaw, FormatGPT, FormatMBR, FormatISO:
		return true
	}
	return false
}

// ParseFormat normalises a user-declared format name. "" means "not
// declared". Glance's ami/ari/aki are raw content; qemu's "vpc" is vhd.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return "", nil
	case "ami", "ari", "aki":
		return FormatRaw, nil
	case "vpc":
		return FormatVHD, nil
	case FormatRaw, FormatQCOW2, FormatVMDK, FormatVHD, FormatVHDX, FormatVDI,
		FormatQED, FormatISO, FormatGPT, FormatMBR, FormatLUKS:
		return f, nil
	default:
		return "", Errorf(KindUnsupported, "", "unknown disk format %q", clip(s, 32))
	}
}

// compatible reports whether content detected as detected may be accepted
// when the user declared declared. Following Glance: a raw declaration
// accepts content carrying a partition table (gpt/mbr are raw disks), and
// hybrid ISOs have already been folded into "iso" by detection.
func compatible(declared, detected Format) bool {
	if declared == "" || declared == detected {
		return true
	}
	return declared == FormatRaw && (detected == FormatGPT || detected == FormatMBR)
}

// clip makes untrusted header text safe to put in a message: bounded in
// length and quoted by the callers with %q.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// result accumulates findings while an inspector runs. kind remembers the
// ErrorKind of the first refusal, which becomes the Kind of the returned
// error.
type result struct {
	info    Info
	kind    ErrorKind
	refused bool
}

func (r *result) refuse(kind ErrorKind, reasonFormat string, args ...any) {
	if !r.refused {
		r.kind, r.refused = kind, true
	}
	r.info.Findings = append(r.info.Findings, Finding{Severity: SeverityRefuse, Reason: fmt.Sprintf(reasonFormat, args...)})
}

func (r *result) warn(reasonFormat string, args ...any) {
	r.info.Findings = append(r.info.Findings, Finding{Severity: SeverityWarn, Reason: fmt.Sprintf(reasonFormat, args...)})
}

// verdict sets Info.Safe and builds the error naming every refusal.
func (r *result) verdict() (*Info, error) {
	info := r.info
	info.Safe = !r.refused
	if !r.refused {
		return &info, nil
	}
	var reasons []string
	for _, f := range info.Findings {
		if f.Severity == SeverityRefuse {
			reasons = append(reasons, f.Reason)
		}
	}
	return &info, &Error{Kind: r.kind, Format: string(info.Format), Reason: strings.Join(reasons, "; ")}
}
