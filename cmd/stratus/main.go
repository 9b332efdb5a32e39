// Command stratus is an OpenStack-compatible IaaS foundation service in one
// binary: `stratus serve` runs it; `stratus image` inspects and converts
// disk images.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/stratus-iaas/stratus/internal/hypervisor/qemu"
	"github.com/stratus-iaas/stratus/internal/imagecli"
	"github.com/stratus-iaas/stratus/internal/server"
)

const usage = `usage: stratus <command> [options]

commands:
  serve     run the service (stratus serve --help for every option)
  image     inspect or convert disk images (stratus image inspect|convert)
  version   print the version
`

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "image":
		return imagecli.Run(ctx, args[1:], stdout, stderr)
	case qemu.PipeCommand:
		// Run by a QEMU's user-mode network for each guest connection to
		// the metadata service (not for people).
		return qemu.RunMetadataPipe(args[1:])
	case "version", "--version":
		fmt.Fprintln(stdout, "stratus", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "stratus: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stratus serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stratus serve [options]\n\nStarts every service on one listener, with no configuration needed.\nOptions (flag > environment > --config file > default):")
		fs.PrintDefaults()
	}
	var cfg server.Config
	if err := cfg.ParseFlags(fs, args, os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "stratus serve:", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	tuneServeRuntime(os.Getenv)
	srv, err := server.New(ctx, cfg, log, stdout)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	if err := srv.Serve(ctx); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
