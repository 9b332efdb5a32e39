// Package vncproxy lets a browser reach a server's VNC display: it hands
// out one-time console tokens (os-getVNCConsole's URL), serves noVNC's
// pages when they are installed, and proxies a websocket to the VNC
// server the token names, as nova-novncproxy does.
package vncproxy

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Prefix is where the proxy is mounted.
const Prefix = "/novnc"

// Options configure a Proxy.
type Options struct {
	TTL       time.Duration // how long a token may wait to be used (default 10m, Nova's)
	StaticDir string        // noVNC's files (Debian's novnc package: /usr/share/novnc)
	Log       *slog.Logger
}

type grant struct {
	server, target string
	expires        time.Time
}

// Proxy is the token store and HTTP handler.
type Proxy struct {
	opts Options
	now  func() time.Time

	mu     sync.Mutex
	grants map[string]grant
	conns  map[net.Conn]struct{}
	closed bool
}

// New returns a Proxy.
func New(opts Options) *Proxy {
	if opts.TTL <= 0 {
		opts.TTL = 10 * time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Proxy{opts: opts, now: time.Now, grants: map[string]grant{}, conns: map[net.Conn]struct{}{}}
}

// Issue returns a token that lets one websocket reach target (host:port
// of server's VNC display) within the TTL.
func (p *Proxy) Issue(server, target string) string {
	b := make([]byte, 16)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for t, g := range p.grants {
		if now.After(g.expires) {
			delete(p.grants, t)
		}
	}
	p.grants[tok] = grant{server: server, target: target, expires: now.Add(p.opts.TTL)}
	return tok
}

// Revoke drops the tokens of server (it was deleted).
func (p *Proxy) Revoke(server string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t, g := range p.grants {
		if g.server == server {
			delete(p.grants, t)
		}
	}
}

// take consumes a token.
func (p *Proxy) take(tok string) (grant, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.grants[tok]
	delete(p.grants, tok)
	if !ok || p.now().After(g.expires) {
		return grant{}, false
	}
	return g, true
}

// URL is the noVNC page for token, under base (the node's public URL;
// relative when empty). noVNC opens its websocket at the "path" query
// parameter, relative to the page's host.
func (p *Proxy) URL(base, tok string) string {
	path := strings.TrimPrefix(Prefix, "/") + "/websockify?token=" + tok
	return base + Prefix + "/vnc_lite.html?path=" + url.QueryEscape(path)
}

// Close ends every proxied connection and refuses new ones.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

func (p *Proxy) track(c net.Conn, on bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		if p.closed {
			return false
		}
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
	return true
}

// ServeHTTP serves PREFIX/websockify?token=… (the websocket) and noVNC's
// files.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if rest == "/websockify" || rest == "/" && r.URL.Query().Has("token") {
		p.websocket(w, r)
		return
	}
	p.static(w, r, rest)
}

func (p *Proxy) static(w http.ResponseWriter, r *http.Request, rest string) {
	dir := p.opts.StaticDir
	if dir != "" {
		if st, err := os.Stat(filepath.Join(dir, "vnc_lite.html")); err == nil && !st.IsDir() {
			r2 := r.Clone(r.Context())
			r2.URL.Path = rest
			http.FileServer(http.Dir(dir)).ServeHTTP(w, r2)
			return
		}
	}
	if rest == "/vnc_lite.html" || rest == "/vnc.html" || rest == "/vnc_auto.html" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(noNoVNC))
		return
	}
	http.NotFound(w, r)
}

const noNoVNC = `<!DOCTYPE html>
<html><head><title>stratus console</title></head><body>
<p>noVNC is not installed on this node (Debian: <code>apt-get install novnc</code>).
The console's websocket is at the path given in this page's <code>path</code> parameter;
any websocket VNC client (protocol <code>binary</code>) can use it once.</p>
</body></html>
`

// websocket checks the token and Origin, then joins the browser's
// websocket to the VNC server.
func (p *Proxy) websocket(w http.ResponseWriter, r *http.Request) {
	accept, proto, err := checkUpgrade(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// A page from elsewhere must not use a token it got hold of in the
	// user's browser (nova-novncproxy's Origin check).
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			http.Error(w, "Origin header does not match this host.", http.StatusForbidden)
			return
		}
	}
	g, ok := p.take(r.URL.Query().Get("token"))
	if !ok {
		// No body, and the connection closes: a websocket client sees it
		// closed, as after websockify's refusal (tempest's
		// test_novnc_bad_token reads the socket for frames).
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	vnc, err := net.DialTimeout("tcp", g.target, 5*time.Second)
	if err != nil {
		http.Error(w, "The console of the server is not reachable.", http.StatusServiceUnavailable)
		return
	}
	defer vnc.Close()
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot upgrade", http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	if !p.track(conn, true) {
		return
	}
	defer p.track(conn, false)
	conn.SetDeadline(time.Time{})
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n"
	if proto != "" {
		resp += "Sec-WebSocket-Protocol: " + proto + "\r\n"
	}
	if _, err := conn.Write([]byte(resp + "\r\n")); err != nil {
		return
	}
	ws := &wsConn{r: rw.Reader, w: conn}
	p.opts.Log.Info("console connected", "server", g.server)
	done := make(chan struct{})
	go func() {
		ws.copyOut(vnc)
		conn.Close()
		close(done)
	}()
	ws.copyIn(vnc)
	vnc.Close()
	<-done
}
