package server

import (
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// writeCloudsYAML writes DATA_DIR/clouds.yaml so that
// OS_CLIENT_CONFIG_FILE=DATA_DIR/clouds.yaml OS_CLOUD=stratus openstack ...
// works at once. It is rewritten at every start (the URL may change) and
// readable only by its owner, since it holds the admin password.
func (s *Server) writeCloudsYAML(password string) error {
	doc := map[string]any{"clouds": map[string]any{
		"stratus": map[string]any{
			"auth": map[string]any{
				"auth_url":            s.publicURL + "/identity/v3",
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
	path := filepath.Join(s.cfg.DataDir, "clouds.yaml")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
