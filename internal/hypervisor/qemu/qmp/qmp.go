// Package qmp is a client of the QEMU Machine Protocol: JSON objects, one
// per line, over a unix socket (docs/interop/qmp-spec.rst in QEMU).
//
// A connection starts with QEMU's greeting ({"QMP": {...}}); the client
// answers with qmp_capabilities and may then run commands, each tagged
// with an "id" that QEMU copies into its reply, while asynchronous events
// ({"event": ...}) arrive in between. The client matches replies to
// commands by id, hands events to subscribers, and reports the end of the
// connection (QEMU exited or closed the socket) on Done.
package qmp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// MaxLine bounds one message from QEMU. The largest replies stratus asks
// for (query-block, query-status) are a few KiB.
const MaxLine = 4 << 20

// ErrClosed is returned by commands on a connection that has ended.
var ErrClosed = errors.New("qmp: connection closed")

// Error is an error QEMU returned for a command.
type Error struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

func (e *Error) Error() string { return "qmp: " + e.Class + ": " + e.Desc }

// Event is an asynchronous QMP event.
type Event struct {
	Name string
	Data json.RawMessage
	// Time is when QEMU emitted it.
	Time time.Time
}

// Version is QEMU's version from the greeting.
type Version struct {
	Major, Minor, Micro int
	Package             string
}

func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d%s", v.Major, v.Minor, v.Micro, v.Package)
}

// Client is one QMP connection. Its methods are safe for concurrent use.
type Client struct {
	conn    net.Conn
	version Version

	wmu sync.Mutex // serialises writes

	mu      sync.Mutex
	nextID  uint64
	pending map[string]chan reply
	subs    map[*Subscription]struct{}
	err     error // why the connection ended
	done    chan struct{}
}

type reply struct {
	ret json.RawMessage
	err *Error
}

// Dial connects to the QMP socket at path, reads the greeting and
// negotiates capabilities, all within ctx.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	c, err := newClient(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// newClient runs the greeting and capabilities negotiation on conn.
func newClient(ctx context.Context, conn net.Conn) (*Client, error) {
	c := &Client{conn: conn, pending: map[string]chan reply{}, subs: map[*Subscription]struct{}{},
		done: make(chan struct{})}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	r := bufio.NewReaderSize(conn, 64<<10)
	line, err := readLine(r)
	if err == nil {
		var m message
		if m, err = decode(line); err == nil && m.kind != kindGreeting {
			err = fmt.Errorf("qmp: expected a greeting, got %s", m.kind)
		} else if err == nil {
			c.version = m.version
		}
	}
	if err == nil {
		_, err = conn.Write([]byte(`{"execute":"qmp_capabilities"}` + "\n"))
	}
	if err == nil {
		err = c.readCapabilitiesReply(r)
	}
	if !stop() {
		// ctx ended while negotiating (and may have cut it short).
		err = errors.Join(ctx.Err(), err)
	}
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	go c.readLoop(r)
	return c, nil
}

// readCapabilitiesReply reads up to the reply of qmp_capabilities; events
// cannot come before it (QEMU sends none in negotiation mode).
func (c *Client) readCapabilitiesReply(r *bufio.Reader) error {
	line, err := readLine(r)
	if err != nil {
		return err
	}
	m, err := decode(line)
	if err != nil {
		return err
	}
	switch m.kind {
	case kindReturn:
		return nil
	case kindError:
		return m.err
	}
	return fmt.Errorf("qmp: unexpected %s during capabilities negotiation", m.kind)
}

// Version is the QEMU version from the greeting.
func (c *Client) Version() Version { return c.version }

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while it is open; io.EOF when QEMU
// closed it).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection.
func (c *Client) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

// Execute runs command with args (nil for none) and decodes its return
// value into out (nil to ignore it). It gives up when ctx ends; QEMU may
// still run the command then.
func (c *Client) Execute(ctx context.Context, command string, args, out any) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return ErrClosed
	}
	c.nextID++
	id := strconv.FormatUint(c.nextID, 10)
	ch := make(chan reply, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()

	req := struct {
		Execute   string `json:"execute"`
		Arguments any    `json:"arguments,omitempty"`
		ID        string `json:"id"`
	}{command, args, id}
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("qmp: %s: %w", command, err)
	}
	b = append(b, '\n')
	c.wmu.Lock()
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetWriteDeadline(dl)
	}
	_, err = c.conn.Write(b)
	c.conn.SetWriteDeadline(time.Time{})
	c.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("qmp: %s: %w", command, err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		if out != nil {
			if err := json.Unmarshal(r.ret, out); err != nil {
				return fmt.Errorf("qmp: %s: decoding the reply: %w", command, err)
			}
		}
		return nil
	case <-c.done:
		return fmt.Errorf("qmp: %s: %w", command, ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("qmp: %s: %w", command, ctx.Err())
	}
}

func (c *Client) readLoop(r *bufio.Reader) {
	var err error
	for {
		var line []byte
		if line, err = readLine(r); err != nil {
			break
		}
		m, derr := decode(line)
		if derr != nil {
			err = derr
			break
		}
		switch m.kind {
		case kindReturn, kindError:
			c.mu.Lock()
			ch := c.pending[m.id]
			c.mu.Unlock()
			if ch != nil {
				ch <- reply{ret: m.ret, err: m.err}
			}
		case kindEvent:
			c.publish(m.event)
		}
	}
	c.mu.Lock()
	c.err = err
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	close(c.done)
	c.conn.Close()
	for s := range subs {
		s.close()
	}
}

func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		if len(line)+len(frag) > MaxLine {
			return nil, fmt.Errorf("qmp: message longer than %d bytes", MaxLine)
		}
		line = append(line, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}
