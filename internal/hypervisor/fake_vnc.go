package hypervisor

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor/vncproxy"
)

// The fake's consoles: a VNC display that speaks just enough RFB (3.8 or
// 3.3, no authentication, a blank 640x480 screen) behind the same noVNC
// websocket proxy the QEMU driver uses, so a console URL leads somewhere
// a VNC client (or tempest's test_novnc) can talk to. The display is
// started on the first console request; every fake server shares it.

type fakeDisplay struct {
	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// addr starts the display if needed and returns its host:port.
func (d *fakeDisplay) addr() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ln == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		d.ln, d.conns = ln, map[net.Conn]struct{}{}
		go d.accept(ln)
	}
	return d.ln.Addr().String(), nil
}

func (d *fakeDisplay) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		d.mu.Lock()
		d.conns[c] = struct{}{}
		d.mu.Unlock()
		go func() {
			defer func() {
				c.Close()
				d.mu.Lock()
				delete(d.conns, c)
				d.mu.Unlock()
			}()
			serveRFB(c)
		}()
	}
}

func (d *fakeDisplay) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ln != nil {
		d.ln.Close()
		d.ln = nil
	}
	for c := range d.conns {
		c.Close()
	}
}

// serveRFB runs the RFB handshake (RFC 6143) and then ignores the client.
func serveRFB(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if _, err := io.WriteString(c, "RFB 003.008\n"); err != nil {
		return
	}
	ver := make([]byte, 12)
	if _, err := io.ReadFull(r, ver); err != nil {
		return
	}
	if string(ver[:11]) == "RFB 003.003" {
		// 3.3: the server picks the security type, None.
		if _, err := c.Write([]byte{0, 0, 0, 1}); err != nil {
			return
		}
	} else {
		if _, err := c.Write([]byte{1, 1}); err != nil { // one type: None
			return
		}
		var pick [1]byte
		if _, err := io.ReadFull(r, pick[:]); err != nil || pick[0] != 1 {
			return
		}
		if _, err := c.Write([]byte{0, 0, 0, 0}); err != nil { // SecurityResult OK
			return
		}
	}
	var shared [1]byte
	if _, err := io.ReadFull(r, shared[:]); err != nil {
		return
	}
	name := "stratus fake console"
	init := make([]byte, 24+len(name))
	binary.BigEndian.PutUint16(init[0:], 640)
	binary.BigEndian.PutUint16(init[2:], 480)
	// Pixel format: 32 bpp, depth 24, little endian, true colour, 8 bits
	// per channel at shifts 16, 8, 0.
	copy(init[4:20], []byte{32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0})
	binary.BigEndian.PutUint32(init[20:], uint32(len(name)))
	copy(init[24:], name)
	if _, err := c.Write(init); err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	io.Copy(io.Discard, r)
}

// HTTPHandler implements HTTPServer: noVNC and the websocket proxy to
// the fake display under /novnc/.
func (f *fake) HTTPHandler() (string, http.Handler) { return vncproxy.Prefix, f.vnc }

// Close implements Closer: the display and the proxy's connections end.
func (f *fake) Close() error {
	f.vnc.Close()
	f.display.close()
	return nil
}
