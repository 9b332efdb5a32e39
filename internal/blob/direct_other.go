//go:build !linux

package blob

import "os"

func openDirect(path string) (*os.File, error) { return nil, errNoDirect }
