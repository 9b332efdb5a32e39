package compute

import (
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// A fixed RSA public key and its MD5 fingerprint (ssh-keygen -l -E md5).
const (
	testPub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGGxz0b7Ysn39Jd8JB1ZeSuzS2vPYQAFXhCLq4eHr7YL test"
)

func TestKeypairs(t *testing.T) {
	e := newEnv(t)
	// Generate: the private key comes back once.
	r := e.must(e.do("POST", "/os-keypairs", "alice", map[string]any{"keypair": map[string]any{"name": "gen"}}), 200)
	kp := r.JSON(t)["keypair"].(map[string]any)
	priv, _ := kp["private_key"].(string)
	if _, err := ssh.ParsePrivateKey([]byte(priv)); err != nil {
		t.Fatalf("private key: %v\n%s", err, r.Body)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(kp["public_key"].(string)))
	if err != nil || kp["user_id"] != "u-alice" || strings.Count(kp["fingerprint"].(string), ":") != 15 {
		t.Fatalf("generated: %v %s", err, r.Body)
	}
	_ = pub
	// Import (2.2: type, 201).
	r = e.must(e.do("POST", "/os-keypairs", "alice", map[string]any{"keypair": map[string]any{"name": "imp", "public_key": testPub}}, mvh("2.2")...), 201)
	if r.has("private_key") || !r.has(`"type":"ssh"`) {
		t.Fatalf("import: %s", r.Body)
	}
	sum, _ := sshFingerprint(testPub)
	if !r.has(`"fingerprint":"` + sum + `"`) {
		t.Fatalf("fingerprint: %s", r.Body)
	}
	r = e.must(e.do("POST", "/os-keypairs", "alice", map[string]any{"keypair": map[string]any{"name": "imp", "public_key": testPub}}), 409)
	if !r.has("Key pair 'imp' already exists.") {
		t.Fatalf("dup: %s", r.Body)
	}
	for name, body := range map[string]map[string]any{
		"bad key":   {"name": "k", "public_key": "ssh-rsa nonsense"},
		"bad name":  {"name": "a/b"},
		"no name":   {"public_key": testPub},
		"type v2.1": {"name": "k", "type": "ssh"},
	} {
		if r := e.do("POST", "/os-keypairs", "alice", map[string]any{"keypair": body}); r.Code != 400 {
			t.Errorf("%s: %d %s", name, r.Code, r.Body)
		}
	}
	// List, show, isolation between users, delete.
	r = e.must(e.do("GET", "/os-keypairs", "alice", nil), 200)
	if len(r.JSON(t)["keypairs"].([]any)) != 2 || r.has("private_key") {
		t.Fatalf("list: %s", r.Body)
	}
	r = e.must(e.do("GET", "/os-keypairs?limit=1", "alice", nil, mvh("2.35")...), 200)
	if len(r.JSON(t)["keypairs"].([]any)) != 1 || !r.has(`keypairs_links`) || !r.has("marker=gen") {
		t.Fatalf("page: %s", r.Body)
	}
	r = e.must(e.do("GET", "/os-keypairs/imp", "alice", nil), 200)
	for _, k := range []string{`"deleted":false`, `"deleted_at":null`, `"user_id":"u-alice"`, `"id":`} {
		if !r.has(k) {
			t.Fatalf("show lacks %s: %s", k, r.Body)
		}
	}
	r = e.must(e.do("GET", "/os-keypairs/imp", "alice2", nil), 404)
	if !r.has("Keypair imp not found for user u-alice2") {
		t.Fatalf("other user: %s", r.Body)
	}
	e.must(e.do("GET", "/os-keypairs/imp?user_id=u-alice", "admin", nil, mvh("2.10")...), 200)
	e.must(e.do("GET", "/os-keypairs/imp?user_id=u-alice", "bob", nil, mvh("2.10")...), 403)
	e.must(e.do("DELETE", "/os-keypairs/imp", "alice", nil), 202)
	e.must(e.do("DELETE", "/os-keypairs/gen", "alice", nil, mvh("2.2")...), 204)
	e.must(e.do("DELETE", "/os-keypairs/gen", "alice", nil), 404)
}

func TestKeypairK5Zone(t *testing.T) {
	e := newEnv(t)
	e.must(e.do("POST", "/compute/v2/p-alice/os-keypairs", "alice", map[string]any{"keypair": map[string]any{"name": "z", "public_key": testPub, "availability_zone": "jp-east-1a"}}), 200)
	r := e.must(e.do("GET", "/compute/v2/p-alice/os-keypairs/z?availability_zone=jp-east-1a", "alice", nil), 200)
	if !r.has(`"availability_zone":"jp-east-1a"`) {
		t.Fatalf("zone: %s", r.Body)
	}
	e.must(e.do("GET", "/compute/v2/p-alice/os-keypairs/z?availability_zone=jp-east-1b", "alice", nil), 404)
	e.must(e.do("DELETE", "/compute/v2/p-alice/os-keypairs/z?availability_zone=jp-east-1b", "alice", nil), 404)
	e.must(e.do("DELETE", "/compute/v2/p-alice/os-keypairs/z?availability_zone=jp-east-1a", "alice", nil), 202)
}

func TestKeypairQuota(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Quotas = map[string]int64{"key_pairs": 1} })
	e.must(e.do("POST", "/os-keypairs", "alice", map[string]any{"keypair": map[string]any{"name": "a", "public_key": testPub}}), 200)
	r := e.must(e.do("POST", "/os-keypairs", "alice", map[string]any{"keypair": map[string]any{"name": "b", "public_key": testPub}}), 403)
	if !r.has("Quota exceeded, too many key pairs.") {
		t.Fatalf("quota: %s", r.Body)
	}
}
