package diskimage

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The VMDK descriptor is text: "key=value" header lines, extent lines
// ("RW 131072 SPARSE \"disk.vmdk\""), "ddb.*" lines and comments. Extent
// lines can name any file, which is how OSSA-2024-001 read files off the
// host, so the parser is strict: a line it does not understand makes the
// descriptor malformed rather than being skipped.

type vmdkExtent struct {
	Access   string // RW, RDONLY, NOACCESS
	Sectors  uint64
	Type     string // SPARSE, FLAT, ZERO, VMFS, ...
	Filename string // unquoted; "" when absent
	HasName  bool
}

type vmdkDescriptor struct {
	CreateType string
	ParentCID  string
	ParentHint bool // parentFileNameHint present: a delta disk
	Extents    []vmdkExtent
}

const maxVMDKDescriptorLines = 4096

// parseVMDKDescriptor parses descriptor text, which ends at the first NUL
// (the embedded descriptor area is NUL padded). The error is a reason fit
// for a user message.
func parseVMDKDescriptor(b []byte) (*vmdkDescriptor, error) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > maxVMDKDescriptor {
		return nil, fmt.Errorf("descriptor of %d bytes exceeds %d", len(b), maxVMDKDescriptor)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("descriptor is not valid UTF-8 text")
	}
	d := &vmdkDescriptor{}
	lines := strings.Split(string(b), "\n")
	if len(lines) > maxVMDKDescriptorLines {
		return nil, fmt.Errorf("descriptor has %d lines (limit %d)", len(lines), maxVMDKDescriptorLines)
	}
	for n, line := range lines {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.IndexFunc(line, func(c rune) bool { return c < 0x20 && c != '\t' || c == 0x7f }) >= 0 {
			return nil, fmt.Errorf("descriptor line %d contains control characters", n+1)
		}
		if ext, ok, err := parseVMDKExtent(line); ok {
			if err != nil {
				return nil, fmt.Errorf("descriptor line %d: %v", n+1, err)
			}
			d.Extents = append(d.Extents, ext)
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t\"") {
			return nil, fmt.Errorf("descriptor line %d is neither a setting nor an extent: %q", n+1, clip(line, 60))
		}
		val = strings.Trim(strings.TrimSpace(val), "\"")
		switch strings.ToLower(key) {
		case "createtype":
			d.CreateType = val
		case "parentcid":
			d.ParentCID = val
		case "parentfilenamehint":
			d.ParentHint = true
		}
	}
	return d, nil
}

// parseVMDKExtent recognises an extent line by its access keyword. ok says
// whether the line is an extent line at all; err whether it is a bad one.
func parseVMDKExtent(line string) (vmdkExtent, bool, error) {
	access, rest, _ := strings.Cut(line, " ")
	var e vmdkExtent
	switch strings.ToUpper(access) {
	case "RW", "RDONLY", "NOACCESS":
		e.Access = strings.ToUpper(access)
	default:
		return e, false, nil
	}
	rest = strings.TrimSpace(rest)
	sectors, rest, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseUint(sectors, 10, 64)
	if err != nil {
		return e, true, fmt.Errorf("extent size %q is not a number", clip(sectors, 20))
	}
	e.Sectors = n
	rest = strings.TrimSpace(rest)
	typ, rest, _ := strings.Cut(rest, " ")
	if typ == "" {
		return e, true, fmt.Errorf("extent has no type")
	}
	e.Type = strings.ToUpper(typ)
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return e, true, nil
	}
	if rest[0] != '"' {
		return e, true, fmt.Errorf("extent file name is not quoted")
	}
	end := strings.IndexByte(rest[1:], '"')
	if end < 0 {
		return e, true, fmt.Errorf("extent file name is not terminated")
	}
	e.Filename, e.HasName = rest[1:1+end], true
	if tail := strings.TrimSpace(rest[2+end:]); tail != "" {
		if _, err := strconv.ParseUint(tail, 10, 64); err != nil {
			return e, true, fmt.Errorf("extent offset %q is not a number", clip(tail, 20))
		}
	}
	return e, true, nil
}

// checkVMDKDescriptor applies the rules for a descriptor embedded in a
// single-file sparse image: the only acceptable subformats are
// monolithicSparse and streamOptimized, with exactly one SPARSE extent whose
// name is a bare file name (it can only mean the image itself), and no
// parent disk. oslo.utils' rule is "no '/' in extent lines"; stratus is
// stricter because it never has a second file to offer.
func checkVMDKDescriptor(d *vmdkDescriptor, r *result) {
	ct := strings.ToLower(d.CreateType)
	if d.CreateType == "" {
		r.refuse(KindCorrupt, "vmdk descriptor has no createType")
	} else if ct != "monolithicsparse" && ct != "streamoptimized" {
		r.refuse(KindUnsupported, "vmdk createType %q is not supported (only monolithicSparse and streamOptimized)", clip(d.CreateType, 40))
	}
	if d.ParentHint || (d.ParentCID != "" && !strings.EqualFold(d.ParentCID, "ffffffff")) {
		r.refuse(KindUnsafe, "vmdk descriptor names a parent disk")
	}
	switch len(d.Extents) {
	case 0:
		r.refuse(KindCorrupt, "vmdk descriptor has no extents")
	case 1:
	default:
		r.refuse(KindUnsafe, "vmdk descriptor has %d extents; a single-file image has one", len(d.Extents))
	}
	for _, e := range d.Extents {
		if e.Type != "SPARSE" {
			r.refuse(KindUnsafe, "vmdk extent of type %s is not allowed (it would read %s)", clip(e.Type, 20), extentTarget(e))
		}
		if e.HasName && !bareFileName(e.Filename) {
			r.refuse(KindUnsafe, "vmdk extent names a path outside the image: %s", strconv.Quote(clip(e.Filename, 64)))
		}
	}
}

func extentTarget(e vmdkExtent) string {
	if !e.HasName {
		return "no file"
	}
	return strconv.Quote(clip(e.Filename, 64))
}

// bareFileName accepts a plain file name: no directory part in either
// convention, no parent reference, no drive or URL-ish prefix.
func bareFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\:")
}
