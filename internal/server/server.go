package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Server is one running stratus node.
type Server struct {
	cfg       Config
	log       *slog.Logger
	out       io.Writer // where first-start notices (generated password) go
	db        *store.DB
	blobs     blob.Store
	mux       *httpapi.Mux
	ln        net.Listener
	metricsLn net.Listener // --metrics-listen, or nil
	publicURL string
	closers   []func() error
}

// New opens the stores, binds the listener and assembles every service.
// It does not serve yet; call Serve.
func New(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer) (*Server, error) {
	s := &Server{cfg: cfg, log: log, out: out}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	// The data dir holds the database, keys and every tenant's bytes: owner
	// only, also when it existed before (MkdirAll leaves its mode alone).
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	s.ln = ln
	s.publicURL = strings.TrimRight(cfg.PublicURL, "/")
	if s.publicURL == "" {
		s.publicURL = "http://" + ln.Addr().String()
	}
	if s.db, err = store.Open(ctx, cfg.Database, cfg.DataDir); err != nil {
		ln.Close()
		return nil, err
	}
	if s.blobs, err = openBlobs(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	s.mux = httpapi.NewMux(nil, log)
	s.mux.SetBodyPolicy(httpapi.BodyPolicy{MinRate: cfg.BodyMinRate, Grace: httpapi.DefaultBodyPolicy.Grace})
	if err := s.assemble(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.mux.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	if cfg.MetricsListen == "" {
		s.mux.Mount(s.mux.MetricsGroup())
	} else if s.metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
		s.Close()
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	return s, nil
}

// MetricsAddr is the address of the separate metrics listener ("" when
// metrics are served on the API listener).
func (s *Server) MetricsAddr() string {
	if s.metricsLn == nil {
		return ""
	}
	return s.metricsLn.Addr().String()
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// PublicURL is the base URL in the catalog.
func (s *Server) PublicURL() string { return s.publicURL }

// Handler is the HTTP handler of all services (for in-process tests).
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var one int
	if err := s.db.R().QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		// The cause is for the operator's log, not for whoever asks.
		s.log.Warn("healthz: database unavailable", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// Serve answers requests until ctx is cancelled, then shuts down
// gracefully: in-flight requests get up to 10 s to finish.
func (s *Server) Serve(ctx context.Context) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(s.ln) }()
	var ms *http.Server
	if s.metricsLn != nil {
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", s.mux.MetricsHandler())
		ms = &http.Server{Handler: mm, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
		go func() { errc <- ms.Serve(s.metricsLn) }()
		s.log.Info("metrics serving", "addr", s.MetricsAddr())
	}
	s.log.Info("stratus serving", "addr", s.Addr(), "public_url", s.publicURL, "data_dir", s.cfg.DataDir, "database", s.db.Engine)
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if ms != nil {
		ms.Shutdown(sctx)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the stores (in reverse order of opening).
func (s *Server) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	if s.db != nil {
		errs = append(errs, s.db.Close())
		s.db = nil
	}
	if s.ln != nil {
		s.ln.Close()
	}
	if s.metricsLn != nil {
		s.metricsLn.Close()
	}
	return errors.Join(errs...)
}

// onClose registers cleanup for a service (job workers, caches).
func (s *Server) onClose(f func() error) { s.closers = append(s.closers, f) }

func (s *Server) notice(format string, args ...any) {
	if s.out != nil {
		fmt.Fprintf(s.out, format+"\n", args...)
	}
}
