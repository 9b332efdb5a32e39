package objectstore

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A chunked PUT whose connection drops before the last chunk stores
// nothing: the body ended early, which is not the end of the object.
func TestTruncatedChunkedPutStoresNothing(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		for _, size := range []int{1000, 300 << 10, 3 << 20} {
			name := fmt.Sprintf("cut-%d", size)
			u, _ := url.Parse(e.srv.URL)
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(conn, "PUT %s/c/%s HTTP/1.1\r\nHost: %s\r\nX-Auth-Token: tok-a\r\nTransfer-Encoding: chunked\r\n\r\n", acctA, name, u.Host)
			// One whole chunk, then half of a second one, then the
			// client goes away without the terminating 0-size chunk.
			fmt.Fprintf(conn, "%x\r\n%s\r\n%x\r\n%s", size, strings.Repeat("a", size), size, strings.Repeat("b", size/2))
			conn.(*net.TCPConn).CloseWrite()
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				if resp.StatusCode/100 == 2 {
					t.Errorf("%s: truncated PUT answered %d %v", name, resp.StatusCode, resp.Header)
				}
			}
			conn.Close()
			// The handler may still be finishing after the connection
			// went; a HEAD must never find the object.
			if resp, _ := e.do("HEAD", acctA+"/c/"+name, "tok-a", ""); resp.StatusCode != 404 {
				t.Errorf("%s: HEAD after truncated PUT = %d, want 404", name, resp.StatusCode)
			}
		}
	})
}
