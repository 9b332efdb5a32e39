package blob

import "os"

// OSFile returns the *os.File behind a Reader of the filesystem store, so
// that callers streaming a whole blob to a socket get sendfile(2). It
// reports false for other backends.
func OSFile(r Reader) (*os.File, bool) {
	if fr, ok := r.(*fsReader); ok {
		return fr.File, true
	}
	return nil, false
}
