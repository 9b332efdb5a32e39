package metadata

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
)

type serverKey struct{}

// WithServer binds ctx (of a guest's connection) to the server it comes
// from; Handler serves only that server's documents.
func WithServer(ctx context.Context, serverID string) context.Context {
	return context.WithValue(ctx, serverKey{}, serverID)
}

// ServerFrom is the server bound by WithServer ("" when none).
func ServerFrom(ctx context.Context) string {
	s, _ := ctx.Value(serverKey{}).(string)
	return s
}

// ErrPasswordSet is returned by Passwords.SetPassword when the server
// already has one (Nova answers 409 then).
var ErrPasswordSet = errors.New("metadata: password already set")

// Passwords keeps the encrypted password a guest posts to
// /openstack/.../password (what os-server-password shows).
type Passwords interface {
	Password(ctx context.Context, serverID string) (string, error)
	SetPassword(ctx context.Context, serverID, value string) error
}

// Handler serves the metadata of the server bound to each request's
// context. lookup loads that server's Instance; passwords may be nil.
func Handler(lookup func(ctx context.Context, serverID string) (*Instance, error), passwords Passwords) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ServerFrom(r.Context())
		if id == "" {
			http.Error(w, "403 Forbidden", http.StatusForbidden)
			return
		}
		in, err := lookup(r.Context(), id)
		if err != nil || in == nil {
			http.Error(w, "404 Not Found", http.StatusNotFound)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		tokens := strings.Split(strings.Trim(p, "/"), "/")
		if isPassword(tokens) && r.Method == http.MethodPost {
			postPassword(w, r, passwords, id)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		body, ctype, ok := lookupPath(r.Context(), in, tokens, passwords)
		if !ok {
			http.Error(w, "404 Not Found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Write(body)
	})
}

func isPassword(t []string) bool {
	return len(t) == 3 && t[0] == "openstack" && t[2] == "password" && index(openstackVersions, osVersion(t[1])) >= 0 &&
		atLeast(openstackVersions, osVersion(t[1]), grizzly)
}

func osVersion(v string) string {
	if v == "latest" {
		return openstackVersions[len(openstackVersions)-1]
	}
	return v
}

// postPassword stores what the guest posts, once (nova's password.py: at
// most 256 bytes, 409 when already set).
func postPassword(w http.ResponseWriter, r *http.Request, pw Passwords, id string) {
	if pw == nil {
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 257))
	if err != nil || len(b) > 256 {
		http.Error(w, "Request is too large.", http.StatusBadRequest)
		return
	}
	if err := pw.SetPassword(r.Context(), id, string(b)); errors.Is(err, ErrPasswordSet) {
		http.Error(w, "Password already set.", http.StatusConflict)
		return
	} else if err != nil {
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

const (
	textPlain = "text/plain; charset=UTF-8"
	appJSON   = "application/json"
)

// lookupPath resolves a path as nova's InstanceMetadata.lookup does: "/"
// and anything not under /openstack is the EC2 tree.
func lookupPath(ctx context.Context, in *Instance, t []string, pw Passwords) ([]byte, string, bool) {
	if len(t) == 1 && t[0] == "" {
		return list(append(append([]string{}, ec2Versions...), "latest")), textPlain, true
	}
	if t[0] != "openstack" {
		return lookupEC2(in, t)
	}
	if len(t) == 1 {
		return list(append(append([]string{}, openstackVersions...), "latest")), textPlain, true
	}
	v := osVersion(t[1])
	if index(openstackVersions, v) < 0 {
		return nil, "", false
	}
	if len(t) == 2 {
		names := []string{"meta_data.json"}
		if in.UserData != nil {
			names = append(names, "user_data")
		}
		if atLeast(openstackVersions, v, grizzly) {
			names = append(names, "password")
		}
		if atLeast(openstackVersions, v, havana) {
			names = append(names, "vendor_data.json")
		}
		if atLeast(openstackVersions, v, liberty) {
			names = append(names, "network_data.json")
		}
		if atLeast(openstackVersions, v, newton2) {
			names = append(names, "vendor_data2.json")
		}
		return list(names), textPlain, true
	}
	if len(t) != 3 {
		return nil, "", false
	}
	switch name := t[2]; {
	case name == "meta_data.json":
		b, err := in.MetaData(v)
		return b, appJSON, err == nil
	case name == "user_data" && in.UserData != nil:
		return in.UserData, textPlain, true
	case name == "password" && atLeast(openstackVersions, v, grizzly):
		s := ""
		if pw != nil {
			s, _ = pw.Password(ctx, in.UUID)
		}
		return []byte(s), textPlain, true
	case name == "vendor_data.json" && atLeast(openstackVersions, v, havana),
		name == "vendor_data2.json" && atLeast(openstackVersions, v, newton2):
		return in.VendorData(), appJSON, true
	case name == "network_data.json" && atLeast(openstackVersions, v, liberty):
		b, err := in.NetworkData()
		return b, appJSON, err == nil
	}
	return nil, "", false
}

func list(items []string) []byte { return []byte(strings.Join(items, "\n")) }

// lookupEC2 walks the EC2 tree: /VERSION/ lists meta-data/ (and
// user-data), /VERSION/meta-data/... the tree, /VERSION/user-data the
// raw user data.
func lookupEC2(in *Instance, t []string) ([]byte, string, bool) {
	v := t[0]
	if v != "latest" && index(ec2Versions, v) < 0 {
		return nil, "", false
	}
	if len(t) == 1 {
		items := []string{"meta-data/"}
		if in.UserData != nil {
			items = append(items, "user-data")
		}
		return list(items), textPlain, true
	}
	switch t[1] {
	case "user-data":
		if len(t) == 2 && in.UserData != nil {
			return in.UserData, textPlain, true
		}
		return nil, "", false
	case "meta-data":
	default:
		return nil, "", false
	}
	var node any = in.ec2Tree(v)
	for _, tok := range t[2:] {
		m, ok := node.(map[string]any)
		if !ok || tok == "_name" {
			return nil, "", false
		}
		if node, ok = m[tok]; !ok {
			return nil, "", false
		}
	}
	return []byte(ec2Print(node)), textPlain, true
}

// ec2Print renders a tree node as nova's ec2_md_print.
func ec2Print(node any) string {
	switch n := node.(type) {
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			if k != "_name" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			if sub, ok := n[k].(map[string]any); ok {
				if name, ok := sub["_name"].(string); ok {
					out = append(out, name)
				} else {
					out = append(out, k+"/")
				}
			} else {
				out = append(out, k)
			}
		}
		return strings.Join(out, "\n")
	case []string:
		return strings.Join(n, "\n")
	case string:
		return n
	}
	return ""
}
