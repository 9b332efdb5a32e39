package qemu

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// The serial console goes to console.log (QEMU appends to it); when it
// passes consoleLimit the driver moves it to console.log.0 (replacing the
// older one) and empties it, so a chatty guest costs at most twice the
// limit of disk. Nova's libvirt driver also returns at most the last
// 100 KiB of a console (MAX_CONSOLE_BYTES).
const (
	consoleLimit   = 1 << 20
	consoleMaxRead = 100 << 10
)

// readTail returns the last max bytes of the files in paths read as one
// stream (oldest first); files that do not exist are empty.
func readTail(max int64, paths ...string) ([]byte, error) {
	var out []byte
	for i := len(paths) - 1; i >= 0 && int64(len(out)) < max; i-- {
		b, err := tailOf(paths[i], max-int64(len(out)))
		if err != nil {
			return nil, err
		}
		out = append(b, out...)
	}
	return out, nil
}

func tailOf(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(st.Size()-n, 0)
	b := make([]byte, st.Size()-off)
	k, err := f.ReadAt(b, off)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return b[:k], nil
}

// tailLines keeps the last n lines of b as Nova's compute manager does
// (_tail_log: the last n pieces of a split on "\n", joined again, so that
// a log ending in a newline gives n-1 lines and an empty one); n <= 0
// keeps everything.
func tailLines(b []byte, n int) []byte {
	if n <= 0 {
		return b
	}
	i := len(b)
	for k := 0; k < n; k++ {
		j := bytes.LastIndexByte(b[:i], '\n')
		if j < 0 {
			return b
		}
		if k == n-1 {
			return b[j+1:]
		}
		i = j
	}
	return b
}

// rotateConsole moves path to path.0 when it is larger than limit, so
// that QEMU (which opened it with O_APPEND) goes on writing at the start
// of the emptied file. A line QEMU writes between the copy and the
// truncation is lost; a console log is best effort.
func rotateConsole(path string, limit int64) error {
	st, err := os.Stat(path)
	if err != nil || st.Size() <= limit {
		return nil
	}
	b, err := tailOf(path, limit)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".0.tmp", b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(path+".0.tmp", path+".0"); err != nil {
		return err
	}
	return os.Truncate(path, 0)
}
