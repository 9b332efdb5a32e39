package qemu

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// PipeCommand is the argument that makes the stratus binary run
// RunMetadataPipe ("stratus metadata-pipe SOCKET"); slirp starts it for
// every guest connection to 169.254.169.254:80.
const PipeCommand = "metadata-pipe"

// RunMetadataPipe joins the guest connection slirp gives it on stdin and
// stdout to the server's metadata socket, args[0], until both sides are
// done. The socket, not anything the guest sends, tells stratus which
// server is asking. It returns the process exit code.
func RunMetadataPipe(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: stratus metadata-pipe SOCKET")
		return 2
	}
	conn, err := net.DialTimeout("unix", args[0], 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "metadata-pipe:", err)
		return 1
	}
	defer conn.Close()
	go func() {
		io.Copy(conn, os.Stdin)
		conn.(*net.UnixConn).CloseWrite()
	}()
	io.Copy(os.Stdout, conn)
	// The service has answered and closed: the guest's connection ends
	// with this process.
	return 0
}
