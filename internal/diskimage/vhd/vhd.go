package vhd

import (
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

func NewReader(r io.ReaderAt, size int64) (disk.Reader, error) {
	return nil, disk.Unsupported("vhd", "todo")
}
