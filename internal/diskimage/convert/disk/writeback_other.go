//go:build !linux

package disk

import (
	"errors"
	"os"
)

// StartWriteback does nothing where sync_file_range does not exist.
func StartWriteback(fd uintptr, off, n int64) {}

// OpenDirect reports that O_DIRECT is not available here.
func OpenDirect(path string) (*os.File, error) { return nil, errors.New("O_DIRECT not supported") }
