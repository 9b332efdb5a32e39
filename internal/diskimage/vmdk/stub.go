package vmdk

import (
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

func NewReader(r io.ReaderAt, size int64) (disk.Reader, error) {
	return nil, disk.Unsupported("vmdk", "todo")
}
func NewStreamReader(r io.Reader) (disk.Reader, error) { return nil, disk.Unsupported("vmdk", "todo") }
func NewStreamWriter(w io.Writer, size int64) (disk.Writer, error) {
	return nil, disk.Unsupported("vmdk", "todo")
}
func IsStreamHeader(b []byte) bool { return false }
