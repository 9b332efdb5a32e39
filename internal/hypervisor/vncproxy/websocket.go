package vncproxy

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// The server side of RFC 6455, as much of it as a VNC proxy needs:
// binary messages both ways, pings answered, close echoed.

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// maxControl is the largest control frame payload (RFC 6455 5.5).
const maxControl = 125

var errProtocol = errors.New("websocket: protocol error")

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// checkUpgrade validates a websocket handshake and returns the accept key
// and the subprotocol to answer with ("binary" when offered, noVNC's).
func checkUpgrade(r *http.Request) (accept, proto string, err error) {
	if r.Method != http.MethodGet || !headerHasToken(r.Header, "Connection", "upgrade") ||
		!headerHasToken(r.Header, "Upgrade", "websocket") {
		return "", "", errors.New("not a websocket upgrade")
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return "", "", errors.New("websocket version must be 13")
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return "", "", errors.New("bad Sec-WebSocket-Key")
	}
	h := sha1.Sum([]byte(key + wsGUID))
	if headerHasToken(r.Header, "Sec-WebSocket-Protocol", "binary") {
		proto = "binary"
	}
	return base64.StdEncoding.EncodeToString(h[:]), proto, nil
}

// frameHeader is a parsed frame header.
type frameHeader struct {
	fin    bool
	opcode byte
	masked bool
	mask   [4]byte
	length int64
}

// readFrameHeader reads one frame header from a client (whose frames must
// be masked).
func readFrameHeader(r io.Reader) (frameHeader, error) {
	var b [14]byte
	if _, err := io.ReadFull(r, b[:2]); err != nil {
		return frameHeader{}, err
	}
	h := frameHeader{fin: b[0]&0x80 != 0, opcode: b[0] & 0x0f, masked: b[1]&0x80 != 0, length: int64(b[1] & 0x7f)}
	if b[0]&0x70 != 0 {
		return h, fmt.Errorf("%w: reserved bits set", errProtocol)
	}
	switch h.length {
	case 126:
		if _, err := io.ReadFull(r, b[2:4]); err != nil {
			return h, err
		}
		h.length = int64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		if _, err := io.ReadFull(r, b[2:10]); err != nil {
			return h, err
		}
		v := binary.BigEndian.Uint64(b[2:10])
		if v>>63 != 0 {
			return h, fmt.Errorf("%w: length out of range", errProtocol)
		}
		h.length = int64(v)
	}
	if !h.masked {
		return h, fmt.Errorf("%w: client frame not masked", errProtocol)
	}
	if _, err := io.ReadFull(r, h.mask[:]); err != nil {
		return h, err
	}
	switch h.opcode {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !h.fin || h.length > maxControl {
			return h, fmt.Errorf("%w: bad control frame", errProtocol)
		}
	default:
		return h, fmt.Errorf("%w: opcode %#x", errProtocol, h.opcode)
	}
	return h, nil
}

// wsConn is a server-side websocket over a hijacked connection.
type wsConn struct {
	r   *bufio.Reader
	w   io.Writer
	wmu sync.Mutex
}

// writeFrame sends one unmasked frame.
func (c *wsConn) writeFrame(op byte, p []byte) error {
	var h [10]byte
	h[0] = 0x80 | op
	n := 2
	switch l := len(p); {
	case l < 126:
		h[1] = byte(l)
	case l <= 0xffff:
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:], uint16(l))
		n = 4
	default:
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:], uint64(l))
		n = 10
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.w.Write(append(h[:n:n], p...)); err != nil {
		return err
	}
	return nil
}

// copyIn copies the data of the client's messages to dst, answering
// pings, until the client closes (nil) or breaks the protocol.
func (c *wsConn) copyIn(dst io.Writer) error {
	buf := make([]byte, 32<<10)
	for {
		h, err := readFrameHeader(c.r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if h.opcode >= opClose {
			p := make([]byte, h.length)
			if _, err := io.ReadFull(c.r, p); err != nil {
				return err
			}
			unmask(p, h.mask, 0)
			switch h.opcode {
			case opClose:
				c.writeFrame(opClose, p[:min(len(p), 2)])
				return nil
			case opPing:
				if err := c.writeFrame(opPong, p); err != nil {
					return err
				}
			}
			continue
		}
		for off := int64(0); off < h.length; {
			n := int(min(int64(len(buf)), h.length-off))
			if _, err := io.ReadFull(c.r, buf[:n]); err != nil {
				return err
			}
			unmask(buf[:n], h.mask, off)
			if _, err := dst.Write(buf[:n]); err != nil {
				return err
			}
			off += int64(n)
		}
	}
}

func unmask(p []byte, key [4]byte, off int64) {
	for i := range p {
		p[i] ^= key[(off+int64(i))%4]
	}
}

// copyOut sends what src yields as binary messages until src ends.
func (c *wsConn) copyOut(src io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if werr := c.writeFrame(opBinary, buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			c.writeFrame(opClose, []byte{0x03, 0xe8}) // 1000: normal closure
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
