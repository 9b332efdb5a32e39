package convert

import (
	"bytes"
	"errors"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// readerFormat maps a detected format to the reader that converts it:
// partition tables and ISOs are raw disks.
func readerFormat(f diskimage.Format) (string, error) {
	switch f {
	case diskimage.FormatRaw, diskimage.FormatGPT, diskimage.FormatMBR, diskimage.FormatISO:
		return "raw", nil
	case diskimage.FormatQCOW2, diskimage.FormatVMDK, diskimage.FormatVHD, diskimage.FormatVHDX:
		return string(f), nil
	}
	return "", diskimage.Errorf(diskimage.KindUnsupported, string(f), "cannot convert %s images", f)
}

// inspectAt runs the safety inspector on a random-access source and
// returns the reader to read it with: that of the declared format if
// given (the inspector has checked the content agrees), else that of the
// detected one (iso, gpt and mbr are read as raw either way).
func inspectAt(r io.ReaderAt, size int64, declared string) (string, error) {
	info, err := diskimage.Inspect(r, size, diskimage.Format(declared))
	if err != nil {
		return "", err
	}
	if declared != "" {
		return readerFormat(diskimage.Format(declared))
	}
	return readerFormat(info.Format)
}

// inspectStream inspects the head of a stream (all a front-to-back
// reader uses) and returns a reader that replays it.
func inspectStream(r io.Reader, size int64, declared string) (io.Reader, string, error) {
	if size <= 0 {
		return nil, "", errors.New("convert: a stream source needs its Size for inspection")
	}
	head := make([]byte, min(size, diskimage.DetectPrefixSize))
	n, err := io.ReadFull(r, head)
	if err != nil && n < len(head) {
		return nil, "", &diskimage.Error{Kind: diskimage.KindIO, Format: declared, Reason: "reading the head of the image", Err: err}
	}
	info, err := diskimage.InspectPrefix(head, size, diskimage.Format(declared))
	if err != nil {
		return nil, "", err
	}
	f := diskimage.Format(declared)
	if f == "" {
		f = info.Format
	}
	rf, err := readerFormat(f)
	if err != nil {
		return nil, "", err
	}
	return io.MultiReader(bytes.NewReader(head), r), rf, nil
}
