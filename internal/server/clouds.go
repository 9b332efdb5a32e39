package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// writeCloudsYAML writes DATA_DIR/clouds.yaml so that
// OS_CLIENT_CONFIG_FILE=DATA_DIR/clouds.yaml OS_CLOUD=stratus openstack ...
// works at once, and DATA_DIR/openrc, the same credentials as OS_*
// variables (as DevStack's openrc), for clients that read only the
// environment, such as the swift CLI. Both are rewritten at every start
// (the URL may change) and readable only by their owner, since they hold
// the admin password.
func (s *Server) writeCloudsYAML(password string) error {
	authURL := s.publicURL + "/identity/v3"
	doc := map[string]any{"clouds": map[string]any{
		"stratus": map[string]any{
			"auth": map[string]any{
				"auth_url":            authURL,
				"username":            "admin",
				"password":            password,
				"project_name":        "admin",
				"user_domain_name":    "Default",
				"project_domain_name": "Default",
			},
			"region_name":          s.cfg.Region,
			"identity_api_version": 3,
			"interface":            "public",
		},
	}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	if err := writePrivate(filepath.Join(s.cfg.DataDir, "clouds.yaml"), b); err != nil {
		return err
	}
	return writePrivate(filepath.Join(s.cfg.DataDir, "openrc"), []byte(openrc(authURL, password, s.cfg.Region)))
}

// openrc is a shell file of OS_* variables for the admin. OS_AUTH_VERSION
// is what the swift CLI reads (beside ST_AUTH_VERSION) to use Keystone v3.
func openrc(authURL, password, region string) string {
	var b strings.Builder
	b.WriteString("# stratus admin credentials, as DevStack's openrc. Use: . stratus-data/openrc\n")
	for _, kv := range [][2]string{
		{"OS_AUTH_URL", authURL},
		{"OS_IDENTITY_API_VERSION", "3"},
		{"OS_AUTH_VERSION", "3"},
		{"OS_USERNAME", "admin"},
		{"OS_PASSWORD", password},
		{"OS_PROJECT_NAME", "admin"},
		{"OS_USER_DOMAIN_NAME", "Default"},
		{"OS_PROJECT_DOMAIN_NAME", "Default"},
		{"OS_REGION_NAME", region},
		{"OS_INTERFACE", "public"},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return b.String()
}

// shellQuote quotes s for POSIX sh: single quotes, each ' as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writePrivate replaces path with b, mode 0600, atomically.
func writePrivate(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
