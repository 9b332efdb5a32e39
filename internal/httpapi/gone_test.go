package httpapi

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// A handler that fails because its client went away sends nothing: the
// connection is dropped instead of net/http's implicit empty 200, which a
// half-closed client would read as success.
func TestClientGoneGetsNoResponse(t *testing.T) {
	m := NewMux(nil, nil)
	m.Mount(Group{Name: "x", Prefix: "/x", Dialect: Swift, Routes: []Route{
		{Method: "PUT", Pattern: "/wait", Policy: policy.Public, Handler: func(w http.ResponseWriter, r *http.Request) error {
			select {
			case <-r.Context().Done():
				return r.Context().Err()
			case <-time.After(10 * time.Second):
				return nil
			}
		}},
	}})
	srv := httptest.NewServer(m)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "PUT /x/wait HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	conn.(*net.TCPConn).CloseWrite() // the server sees EOF and cancels the request
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(conn)
	if len(got) != 0 {
		t.Fatalf("client that went away was sent %q", got)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection neither answered nor closed")
	}
}
