package identity_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/identity"
)

// TestCredentialsEncryptedAtRest: no secret is stored in clear; rows from
// before encryption are sealed at start; a node with another key refuses
// to start rather than serve errors.
func TestCredentialsEncryptedAtRest(t *testing.T) {
	key := bytes.Repeat([]byte{7}, identity.CredentialKeySize)
	e := newEnv(t, func(o *identity.Options) { o.CredentialKey = key })
	admin := e.admin(t)
	projectID, aliceID := e.member(t, admin, "alice")
	r := e.do(t, "POST", "/identity/v3/users/"+aliceID+"/credentials/OS-EC2", admin, map[string]any{"tenant_id": projectID})
	secret, _ := get(r.json(t), "credential", "secret").(string)
	if r.code != 201 || secret == "" {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	db := e.svc.DBForTest()
	ctx := context.Background()
	stored := func() string {
		var all strings.Builder
		rows, err := db.R().QueryContext(ctx, "SELECT blob, key_hash FROM identity_credentials")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var b, h string
			rows.Scan(&b, &h)
			all.WriteString(b + " " + h + "\n")
		}
		return all.String()
	}
	if s := stored(); strings.Contains(s, secret) || strings.Contains(s, "access") {
		t.Fatalf("blob stored in clear: %s", s)
	}

	// A row written before encryption (as by an older stratus).
	_, err := db.WriteStmts().ExecContext(ctx, "INSERT INTO identity_credentials (id, user_id, project_id, type, blob, created_at) VALUES ('old', $1, '', 'cert', 'old-secret-blob', 1)", aliceID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Bootstrap(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if s := stored(); strings.Contains(s, "old-secret-blob") {
		t.Fatalf("old row left in clear: %s", s)
	}
	for _, path := range []string{"/identity/v3/credentials/old", "/identity/v3/credentials?user_id=" + aliceID} {
		if r := e.do(t, "GET", path, admin, nil); r.code != 200 || !strings.Contains(r.body, "old-secret-blob") {
			t.Fatalf("GET %s after sealing: %d %s", path, r.code, r.body)
		}
	}
	if c, err := e.svc.EC2Credential(ctx, get(r.json(t), "credential", "access").(string)); err != nil || c.Secret != secret {
		t.Fatalf("EC2Credential: %+v %v", c, err)
	}

	// Another node with another key on the same database.
	other, err := identity.New(identity.Options{DB: db, BcryptCost: 4, CredentialKey: bytes.Repeat([]byte{8}, identity.CredentialKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Bootstrap(ctx, ""); err == nil || !strings.Contains(err.Error(), "credential key") {
		t.Fatalf("bootstrap with another key: %v", err)
	}
	// A blob moved to another row does not open.
	if _, err := db.WriteStmts().ExecContext(ctx, "UPDATE identity_credentials SET blob = (SELECT blob FROM identity_credentials WHERE id = 'old') WHERE id <> 'old'"); err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "GET", "/identity/v3/credentials?user_id="+aliceID, admin, nil); r.code != 500 || strings.Contains(r.body, "old-secret-blob") {
		t.Fatalf("moved blob: %d %s", r.code, r.body)
	}
}

func TestLoadCredentialKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "credential.key")
	k1, err := identity.LoadCredentialKey(path)
	if err != nil || len(k1) != identity.CredentialKeySize {
		t.Fatalf("create: %v %d", err, len(k1))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi.Mode(), err)
	}
	k2, err := identity.LoadCredentialKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v", err)
	}
	for name, content := range map[string]string{"garbage": "not base64!", "short": "AAAA\n", "empty": ""} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := identity.LoadCredentialKey(p); err == nil {
			t.Errorf("%s key accepted", name)
		}
	}
}
