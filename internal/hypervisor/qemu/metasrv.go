package qemu

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/metadata"
)

// metaServer serves the metadata service on one unix socket per server
// (RUNDIR/ID.meta). The socket a connection arrives on is the only thing
// that says which server is asking.
type metaServer struct {
	d   *Driver
	srv *http.Server

	mu  sync.Mutex
	lns map[string]net.Listener
}

type serverConn struct {
	net.Conn
	id string
}

type serverListener struct {
	net.Listener
	id string
}

func (l serverListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return serverConn{c, l.id}, nil
}

func newMetaServer(d *Driver) *metaServer {
	m := &metaServer{d: d, lns: map[string]net.Listener{}}
	lookup := func(ctx context.Context, id string) (*metadata.Instance, error) {
		s, err := d.get(id)
		if err != nil {
			return nil, err
		}
		return s.inst.Load(), nil
	}
	m.srv = &http.Server{
		Handler:           metadata.Handler(lookup, passwords{d}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if sc, ok := c.(serverConn); ok {
				return metadata.WithServer(ctx, sc.id)
			}
			return ctx
		},
		ErrorLog: nil,
	}
	return m
}

func (m *metaServer) socket(id string) string { return filepath.Join(m.d.runDir, id+".meta") }

// listen starts serving server id's socket (again after a restart).
func (m *metaServer) listen(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lns == nil {
		return errors.New("qemu driver: closed")
	}
	if m.lns[id] != nil {
		return nil
	}
	p := m.socket(id)
	os.Remove(p)
	ln, err := net.Listen("unix", p)
	if err != nil {
		return err
	}
	m.lns[id] = ln
	go m.srv.Serve(serverListener{ln, id})
	return nil
}

// forget stops serving server id.
func (m *metaServer) forget(id string) {
	m.mu.Lock()
	ln := m.lns[id]
	delete(m.lns, id)
	m.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	os.Remove(m.socket(id))
}

func (m *metaServer) close() {
	m.mu.Lock()
	m.lns = nil
	m.mu.Unlock()
	m.srv.Close()
}

// passwords keeps what the guest posts to .../password in the server's
// directory, once.
type passwords struct{ d *Driver }

func (p passwords) Password(ctx context.Context, id string) (string, error) {
	b, err := os.ReadFile(filepath.Join(p.d.sdir(id), "password"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}

func (p passwords) SetPassword(ctx context.Context, id, v string) error {
	if _, err := p.d.get(id); err != nil {
		return hypervisor.ErrNotFound
	}
	f, err := os.OpenFile(filepath.Join(p.d.sdir(id), "password"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return metadata.ErrPasswordSet
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
