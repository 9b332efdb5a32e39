package server

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c Config
	err := c.ParseFlags(fs, args, func(k string) string { return env[k] })
	return c, err
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stratus.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:7000\nregion: FileRegion\ntoken_ttl: 2h\nlog_level: debug\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(c Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.DataDir == "./stratus-data" && c.Listen == "127.0.0.1:5000" && c.TokenTTL == 12*time.Hour && c.Region == "RegionOne"
		}},
		{"file", []string{"--config", file}, nil, func(c Config) bool {
			return c.Listen == "127.0.0.1:7000" && c.Region == "FileRegion" && c.TokenTTL == 2*time.Hour
		}},
		{"env over file", []string{"--config", file}, map[string]string{"STRATUS_REGION": "EnvRegion", "STRATUS_TOKEN_TTL": "30m"}, func(c Config) bool {
			return c.Region == "EnvRegion" && c.TokenTTL == 30*time.Minute && c.Listen == "127.0.0.1:7000"
		}},
		{"flag over env", []string{"--config", file, "--region", "FlagRegion"}, map[string]string{"STRATUS_REGION": "EnvRegion"}, func(c Config) bool {
			return c.Region == "FlagRegion"
		}},
		{"config from env", nil, map[string]string{"STRATUS_CONFIG": file}, func(c Config) bool { return c.Region == "FileRegion" }},
		{"data dir env", nil, map[string]string{"STRATUS_DATA_DIR": "/tmp/x"}, func(c Config) bool { return c.DataDir == "/tmp/x" }},
		{"tempurl methods", []string{"--tempurl-methods", "get,head copy"}, nil, func(c Config) bool {
			return strings.Join(c.tempURLMethods(), " ") == "GET HEAD COPY"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestConfigRejects(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("no_such_option: 1\n"), 0o600)
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"unknown key in file": {[]string{"--config", bad}, nil},
		"bad duration env":    {nil, map[string]string{"STRATUS_TOKEN_TTL": "forever"}},
		"bcrypt too low":      {[]string{"--bcrypt-cost", "2"}, nil},
		"missing file":        {[]string{"--config", "/nonexistent/stratus.yaml"}, nil},
		"unknown flag":        {[]string{"--nope"}, nil},
		"bad tempurl method":  {[]string{"--tempurl-methods", "GET,TRACE"}, nil},
	} {
		if _, err := parse(t, c.args, c.env); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
