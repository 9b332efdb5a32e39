// Package iso9660 writes small ISO 9660 volumes with Joliet names, as the
// config drives Nova makes with genisoimage (-J -r -V config-2): a primary
// volume with level-2 names (upper case, up to 30 characters) that any
// reader can list, and a Joliet supplementary volume with the real names
// (case kept), which Linux and Windows mount by default.
//
// Layout (ECMA-119): 16 empty sectors, the primary and Joliet volume
// descriptors and the terminator, the four path tables, the directories of
// both trees, then the file data, which both trees share.
package iso9660

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

const sector = 2048

// File is one file of the volume; Path is slash-separated and relative
// ("openstack/latest/meta_data.json"); its directories are made as needed.
type File struct {
	Path string
	Data []byte
}

// Options describe the volume.
type Options struct {
	VolumeID string    // at most 16 characters ("config-2")
	Time     time.Time // recording time of every record; zero: now
}

type node struct {
	name     string // as given (Joliet)
	primary  string // level-2 primary name
	dir      bool
	children []*node
	data     []byte
	parent   *node
	// assigned positions
	num              int   // path table number (directories), 1-based
	extPri, extJol   int64 // directory extents (sectors)
	sizePri, sizeJol int64 // directory sizes (bytes)
	dataAt           int64 // file extent (sector)
}

// Write writes the volume holding files to w.
func Write(w io.Writer, opts Options, files []File) error {
	if len(opts.VolumeID) > 16 || !isASCII(opts.VolumeID) {
		return fmt.Errorf("iso9660: volume id %q: at most 16 ASCII characters", opts.VolumeID)
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	root := &node{dir: true}
	for _, f := range files {
		if err := add(root, f); err != nil {
			return err
		}
	}
	dirs := sortTree(root)
	l := layout(dirs)
	img := &image{b: make([]byte, l.total*sector), t: opts.Time}
	img.descriptors(opts.VolumeID, root, l)
	img.pathTables(dirs, l)
	for _, d := range dirs {
		img.directory(d, false)
		img.directory(d, true)
	}
	for _, d := range dirs {
		for _, c := range d.children {
			if !c.dir {
				copy(img.b[c.dataAt*sector:], c.data)
			}
		}
	}
	_, err := w.Write(img.b)
	return err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func add(root *node, f File) error {
	parts := strings.Split(f.Path, "/")
	if path.Clean(f.Path) != f.Path || len(parts) > 7 {
		return fmt.Errorf("iso9660: bad path %q", f.Path)
	}
	cur := root
	for i, p := range parts {
		if !validName(p) {
			return fmt.Errorf("iso9660: bad name %q in %q", p, f.Path)
		}
		var next *node
		for _, c := range cur.children {
			if c.name == p {
				next = c
			}
		}
		last := i == len(parts)-1
		if next == nil {
			next = &node{name: p, dir: !last, parent: cur}
			cur.children = append(cur.children, next)
		} else if last || !next.dir {
			return fmt.Errorf("iso9660: %q given twice or both file and directory", f.Path)
		}
		cur = next
	}
	if int64(len(f.Data)) > 1<<31 {
		return fmt.Errorf("iso9660: %q too large", f.Path)
	}
	cur.data = f.Data
	return nil
}

// primaryName maps a name to a level-2 identifier: upper case d-characters,
// 30 characters at most with the version suffix ";1" on files.
func primaryName(s string, dir bool) string {
	s = strings.ToUpper(s)
	var b strings.Builder
	dot := strings.LastIndexByte(s, '.')
	for i, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '.' && i == dot && !dir:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	n := b.String()
	if len(n) > 30 {
		n = n[:30]
	}
	return n
}

// sortTree sorts every directory's children, gives primary names (unique
// within their directory) and returns the directories in path table order
// (by level, then parent, then name).
func sortTree(root *node) []*node {
	dirs := []*node{root}
	for i := 0; i < len(dirs); i++ {
		d := dirs[i]
		seen := map[string]bool{}
		sort.Slice(d.children, func(a, b int) bool { return d.children[a].name < d.children[b].name })
		for _, c := range d.children {
			n := primaryName(c.name, c.dir)
			for k := 1; seen[n]; k++ {
				suffix := fmt.Sprintf("~%d", k)
				n = primaryName(c.name, c.dir)
				n = n[:min(len(n), 30-len(suffix))] + suffix
			}
			seen[n] = true
			c.primary = n
		}
		sort.SliceStable(d.children, func(a, b int) bool { return d.children[a].primary < d.children[b].primary })
		for _, c := range d.children {
			if c.dir {
				dirs = append(dirs, c)
			}
		}
	}
	for i, d := range dirs {
		d.num = i + 1
	}
	return dirs
}

type plan struct {
	pathPri, pathJol int64 // path table sizes in bytes
	lPri, mPri       int64 // path table sectors
	lJol, mJol       int64
	total            int64
}

func sectors(n int64) int64 { return (n + sector - 1) / sector }

func layout(dirs []*node) plan {
	var l plan
	for _, d := range dirs {
		l.pathPri += ptEntryLen(len(identPri(d)))
		l.pathJol += ptEntryLen(len(identJol(d)))
		d.sizePri = dirSize(d, false)
		d.sizeJol = dirSize(d, true)
	}
	next := int64(19) // 16 system sectors, PVD, SVD, terminator
	for _, p := range []*int64{&l.lPri, &l.mPri} {
		*p, next = next, next+sectors(l.pathPri)
	}
	for _, p := range []*int64{&l.lJol, &l.mJol} {
		*p, next = next, next+sectors(l.pathJol)
	}
	for _, d := range dirs {
		d.extPri, next = next, next+sectors(d.sizePri)
	}
	for _, d := range dirs {
		d.extJol, next = next, next+sectors(d.sizeJol)
	}
	for _, d := range dirs {
		for _, c := range d.children {
			if !c.dir {
				c.dataAt = next
				if len(c.data) == 0 {
					c.dataAt = 0
				}
				next += sectors(int64(len(c.data)))
			}
		}
	}
	l.total = next
	return l
}

func ptEntryLen(n int) int64 { return int64(8 + n + n%2) }

func recLen(n int) int { return 33 + n + (n+1)%2 }

// identPri and identJol are a node's identifier bytes in each tree.
func identPri(n *node) []byte {
	if n.parent == nil {
		return []byte{0}
	}
	if n.dir {
		return []byte(n.primary)
	}
	return []byte(n.primary + ";1")
}

func identJol(n *node) []byte {
	if n.parent == nil {
		return []byte{0}
	}
	return ucs2(n.name) // no ";1": genisoimage leaves Joliet names bare
}

func ucs2(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.BigEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// dirSize is the size of a directory's extent: its records, none crossing
// a sector boundary.
func dirSize(d *node, joliet bool) int64 {
	used := int64(2 * recLen(1)) // "." and ".."
	for _, c := range d.children {
		id := identPri(c)
		if joliet {
			id = identJol(c)
		}
		n := int64(recLen(len(id)))
		if used%sector+n > sector {
			used = (used/sector + 1) * sector
		}
		used += n
	}
	return sectors(used) * sector
}

type image struct {
	b []byte
	t time.Time
}

func bothU32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

func bothU16(b []byte, v uint16) {
	binary.LittleEndian.PutUint16(b, v)
	binary.BigEndian.PutUint16(b[2:], v)
}

// record writes a directory record at b and returns its length.
func (img *image) record(b []byte, id []byte, extent, size int64, dir bool) int {
	n := recLen(len(id))
	b[0] = byte(n)
	bothU32(b[2:], uint32(extent))
	bothU32(b[10:], uint32(size))
	t := img.t.UTC()
	copy(b[18:25], []byte{byte(t.Year() - 1900), byte(t.Month()), byte(t.Day()), byte(t.Hour()), byte(t.Minute()), byte(t.Second()), 0})
	if dir {
		b[25] = 2
	}
	bothU16(b[28:], 1)
	b[32] = byte(len(id))
	copy(b[33:], id)
	return n
}

func (img *image) directory(d *node, joliet bool) {
	ext, size := d.extPri, d.sizePri
	if joliet {
		ext, size = d.extJol, d.sizeJol
	}
	parent := d
	if d.parent != nil {
		parent = d.parent
	}
	pext, psize := parent.extPri, parent.sizePri
	if joliet {
		pext, psize = parent.extJol, parent.sizeJol
	}
	b := img.b[ext*sector : ext*sector+size]
	off := img.record(b, []byte{0}, ext, size, true)
	off += img.record(b[off:], []byte{1}, pext, psize, true)
	for _, c := range d.children {
		id := identPri(c)
		if joliet {
			id = identJol(c)
		}
		if off%sector+recLen(len(id)) > sector {
			off = (off/sector + 1) * sector
		}
		if c.dir {
			cext, csize := c.extPri, c.sizePri
			if joliet {
				cext, csize = c.extJol, c.sizeJol
			}
			off += img.record(b[off:], id, cext, csize, true)
		} else {
			off += img.record(b[off:], id, c.dataAt, int64(len(c.data)), false)
		}
	}
}

func (img *image) pathTables(dirs []*node, l plan) {
	write := func(at int64, joliet, bigEndian bool) {
		b := img.b[at*sector:]
		off := 0
		for _, d := range dirs {
			id, ext := identPri(d), d.extPri
			if joliet {
				id, ext = identJol(d), d.extJol
			}
			parent := 1
			if d.parent != nil {
				parent = d.parent.num
			}
			b[off] = byte(len(id))
			if bigEndian {
				binary.BigEndian.PutUint32(b[off+2:], uint32(ext))
				binary.BigEndian.PutUint16(b[off+6:], uint16(parent))
			} else {
				binary.LittleEndian.PutUint32(b[off+2:], uint32(ext))
				binary.LittleEndian.PutUint16(b[off+6:], uint16(parent))
			}
			copy(b[off+8:], id)
			off += int(ptEntryLen(len(id)))
		}
	}
	write(l.lPri, false, false)
	write(l.mPri, false, true)
	write(l.lJol, true, false)
	write(l.mJol, true, true)
}

// descriptors writes the primary and Joliet volume descriptors and the
// set terminator (sectors 16–18).
func (img *image) descriptors(volID string, root *node, l plan) {
	for i, joliet := range []bool{false, true} {
		b := img.b[(16+i)*sector : (17+i)*sector]
		b[0] = 1
		text := func(dst []byte, s string) {
			for j := range dst {
				dst[j] = ' '
			}
			copy(dst, s)
		}
		if joliet {
			b[0] = 2
			text = func(dst []byte, s string) {
				for j := 0; j+1 < len(dst); j += 2 {
					dst[j], dst[j+1] = 0, ' '
				}
				copy(dst, ucs2(s))
			}
			copy(b[88:], "%/E") // UCS-2 level 3
		}
		copy(b[1:], "CD001")
		b[6] = 1
		text(b[8:40], "LINUX")
		text(b[40:72], volID)
		bothU32(b[80:], uint32(l.total))
		bothU16(b[120:], 1)
		bothU16(b[124:], 1)
		bothU16(b[128:], sector)
		pt, lAt, mAt, ext, size := l.pathPri, l.lPri, l.mPri, root.extPri, root.sizePri
		if joliet {
			pt, lAt, mAt, ext, size = l.pathJol, l.lJol, l.mJol, root.extJol, root.sizeJol
		}
		bothU32(b[132:], uint32(pt))
		binary.LittleEndian.PutUint32(b[140:], uint32(lAt))
		binary.BigEndian.PutUint32(b[148:], uint32(mAt))
		img.record(b[156:190], []byte{0}, ext, size, true)
		for _, r := range [][2]int{{190, 318}, {318, 446}, {446, 574}, {574, 702}, {702, 739}, {739, 776}, {776, 813}} {
			text(b[r[0]:r[1]], "")
		}
		text(b[574:702], "STRATUS")
		stamp := []byte(img.t.UTC().Format("20060102150405") + "00")
		copy(b[813:], stamp)
		copy(b[830:], stamp)
		copy(b[847:], bytes.Repeat([]byte{'0'}, 16))
		copy(b[864:], bytes.Repeat([]byte{'0'}, 16))
		b[881] = 1
	}
	t := img.b[18*sector:]
	t[0] = 255
	copy(t[1:], "CD001")
	t[6] = 1
}
