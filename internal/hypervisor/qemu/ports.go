package qemu

import (
	"errors"
	"net"
	"strconv"
)

// VNC displays the driver hands out: 127.0.0.1:5900+N for N in
// [vncFirst, vncFirst+vncCount).
const (
	vncFirst = 100
	vncCount = 5000
)

// portFree says whether 127.0.0.1:port can be listened on now.
func portFree(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// pickVNCDisplay returns a display that no other server holds and whose
// port is free, starting from start (so displays spread instead of
// colliding with one just released).
func pickVNCDisplay(used map[int]bool, start int) (int, error) {
	for k := 0; k < vncCount; k++ {
		n := vncFirst + (start-vncFirst+k+vncCount)%vncCount
		if !used[n] && portFree(5900+n) {
			return n, nil
		}
	}
	return 0, errors.New("qemu: no free VNC display")
}

// pickPort returns a free 127.0.0.1 port (the kernel's choice) that no
// other server holds.
func pickPort(used map[int]bool) (int, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !used[port] {
			return port, nil
		}
	}
	return 0, errors.New("qemu: no free port")
}
