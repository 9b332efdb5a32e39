package vncproxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeVNC greets with the RFB version and echoes what it gets.
func fakeVNC(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte("RFB 003.008\n"))
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func clientFrame(op byte, p []byte) []byte {
	mask := [4]byte{1, 2, 3, 4}
	h := []byte{0x80 | op}
	switch {
	case len(p) < 126:
		h = append(h, 0x80|byte(len(p)))
	default:
		h = append(h, 0x80|126, byte(len(p)>>8), byte(len(p)))
	}
	h = append(h, mask[:]...)
	m := append([]byte{}, p...)
	unmask(m, mask, 0)
	return append(h, m...)
}

func readServerFrame(t *testing.T, r *bufio.Reader) (byte, []byte) {
	t.Helper()
	var b [2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		t.Fatal(err)
	}
	n := int(b[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		io.ReadFull(r, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	p := make([]byte, n)
	io.ReadFull(r, p)
	return b[0] & 0x0f, p
}

// dial opens a websocket to the proxy by hand and returns the status line
// and, on 101, the connection.
func dial(t *testing.T, srv *httptest.Server, path, origin string) (int, net.Conn, *bufio.Reader) {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: binary\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	c.Write([]byte(req + "\r\n"))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == 101 {
		if resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" || resp.Header.Get("Sec-WebSocket-Protocol") != "binary" {
			t.Fatalf("handshake headers: %v", resp.Header)
		}
	}
	return resp.StatusCode, c, br
}

func TestProxyOneTimeToken(t *testing.T) {
	target := fakeVNC(t)
	p := New(Options{TTL: time.Minute})
	srv := httptest.NewServer(p)
	defer srv.Close()
	defer p.Close()
	tok := p.Issue("s1", target)
	u := p.URL(srv.URL, tok)
	pu, _ := url.Parse(u)
	if !strings.HasPrefix(u, srv.URL+"/novnc/vnc_lite.html?path=") || pu.Query().Get("path") != "novnc/websockify?token="+tok {
		t.Fatalf("URL %s", u)
	}
	code, c, br := dial(t, srv, "/novnc/websockify?token="+tok, srv.URL)
	if code != 101 {
		t.Fatalf("status %d", code)
	}
	if op, p := readServerFrame(t, br); op != opBinary || string(p) != "RFB 003.008\n" {
		t.Fatalf("greeting %d %q", op, p)
	}
	big := bytes.Repeat([]byte("x"), 300)
	c.Write(clientFrame(opBinary, big))
	var got []byte
	for len(got) < len(big) {
		_, p := readServerFrame(t, br)
		got = append(got, p...)
	}
	if !bytes.Equal(got, big) {
		t.Fatal("echo differs")
	}
	c.Write(clientFrame(opPing, []byte("hi")))
	if op, p := readServerFrame(t, br); op != opPong || string(p) != "hi" {
		t.Fatalf("pong %d %q", op, p)
	}
	c.Write(clientFrame(opClose, []byte{0x03, 0xe8}))
	if op, _ := readServerFrame(t, br); op != opClose {
		t.Fatalf("close answered with %d", op)
	}
	// The token was used up.
	if code, _, _ := dial(t, srv, "/novnc/websockify?token="+tok, ""); code != 401 {
		t.Fatalf("second use: %d", code)
	}
}

func TestProxyRefusals(t *testing.T) {
	target := fakeVNC(t)
	p := New(Options{TTL: time.Minute})
	now := time.Now()
	p.now = func() time.Time { return now }
	srv := httptest.NewServer(p)
	defer srv.Close()
	if code, _, _ := dial(t, srv, "/novnc/websockify?token=nope", ""); code != 401 {
		t.Fatalf("unknown token: %d", code)
	}
	tok := p.Issue("s1", target)
	if code, _, _ := dial(t, srv, "/novnc/websockify?token="+tok, "http://evil.example"); code != 403 {
		t.Fatalf("foreign origin: %d", code)
	}
	tok = p.Issue("s1", target)
	now = now.Add(2 * time.Minute)
	if code, _, _ := dial(t, srv, "/novnc/websockify?token="+tok, ""); code != 401 {
		t.Fatalf("expired token: %d", code)
	}
	tok = p.Issue("s2", target)
	p.Revoke("s2")
	if code, _, _ := dial(t, srv, "/novnc/websockify?token="+tok, ""); code != 401 {
		t.Fatalf("revoked token: %d", code)
	}
	resp, err := http.Get(srv.URL + "/novnc/websockify?token=x")
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("plain GET: %v %v", resp.StatusCode, err)
	}
	resp, _ = http.Get(srv.URL + "/novnc/vnc_lite.html")
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d", resp.StatusCode)
	}
	resp, _ = http.Get(srv.URL + "/novnc/../../etc/passwd")
	if resp.StatusCode == 200 {
		t.Fatal("served a path outside")
	}
}

func FuzzCopyIn(f *testing.F) {
	f.Add(clientFrame(opBinary, []byte("hello")))
	f.Add(append(clientFrame(opPing, []byte("p")), clientFrame(opClose, nil)...))
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 'a'})
	f.Fuzz(func(t *testing.T, in []byte) {
		var out, back bytes.Buffer
		c := &wsConn{r: bufio.NewReader(bytes.NewReader(in)), w: &back}
		c.copyIn(&out)
		if out.Len() > len(in) {
			t.Fatalf("%d bytes out of %d in", out.Len(), len(in))
		}
	})
}
