package identity_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestEC2Credentials drives the OS-EC2 API as tempest's EC2CredentialsTest
// does, plus the isolation and error cases around it.
func TestEC2Credentials(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, aliceID := e.member(t, admin, "alice")
	_, bobID := e.member(t, admin, "bob")
	alice := e.token(t, "alice", "alice-pw", "alice")
	bob := e.token(t, "bob", "bob-pw", "bob")
	base := "/identity/v3/users/" + aliceID + "/credentials/OS-EC2"

	r := e.do(t, "POST", base, alice, map[string]any{"tenant_id": projectID})
	if r.code != 201 {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	cred := r.json(t)["credential"].(map[string]any)
	access, secret := cred["access"].(string), cred["secret"].(string)
	if len(access) != 32 || len(secret) != 32 || access == secret || cred["user_id"] != aliceID || cred["tenant_id"] != projectID || cred["trust_id"] != nil {
		t.Fatalf("created credential: %v", cred)
	}
	if self := cred["links"].(map[string]any)["self"]; self != "http://stratus.test"+base+"/"+access {
		t.Fatalf("self link %v", self)
	}
	r2 := e.do(t, "POST", base, alice, map[string]any{"tenant_id": projectID})
	access2 := r2.json(t)["credential"].(map[string]any)["access"].(string)

	r = e.do(t, "GET", base, alice, nil)
	if r.code != 200 || !strings.Contains(r.body, access) || !strings.Contains(r.body, access2) {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	r = e.do(t, "GET", base+"/"+access, alice, nil)
	if got := r.json(t)["credential"].(map[string]any); r.code != 200 || got["secret"] != secret || got["tenant_id"] != projectID {
		t.Fatalf("show: %d %s", r.code, r.body)
	}
	// The generic API shows the same credential with Keystone's id.
	sum := sha256.Sum256([]byte(access))
	id := hex.EncodeToString(sum[:])
	r = e.do(t, "GET", "/identity/v3/credentials/"+id, alice, nil)
	if got := r.json(t)["credential"].(map[string]any); r.code != 200 || got["type"] != "ec2" || !strings.Contains(got["blob"].(string), secret) {
		t.Fatalf("generic show: %d %s", r.code, r.body)
	}

	for _, c := range []struct {
		name, method, path, token string
		body                      any
		code                      int
	}{
		{"bob cannot list alice's", "GET", base, bob, nil, 403},
		{"bob cannot read alice's", "GET", base + "/" + access, bob, nil, 403},
		{"bob cannot create for alice", "POST", base, bob, map[string]any{"tenant_id": projectID}, 403},
		{"bob's own path does not reach alice's key", "GET", "/identity/v3/users/" + bobID + "/credentials/OS-EC2/" + access, bob, nil, 404},
		{"bob cannot read it by id", "GET", "/identity/v3/credentials/" + id, bob, nil, 403},
		{"bob's list is empty", "GET", "/identity/v3/credentials", bob, nil, 200},
		{"admin reads it", "GET", base + "/" + access, admin, nil, 200},
		{"tenant required", "POST", base, alice, map[string]any{}, 400},
		{"unknown tenant", "POST", base, alice, map[string]any{"tenant_id": "nope"}, 404},
		{"unknown user", "GET", "/identity/v3/users/nope/credentials/OS-EC2", admin, nil, 404},
		{"unknown key", "GET", base + "/nope", alice, nil, 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, c.method, c.path, c.token, c.body)
			if r.code != c.code {
				t.Fatalf("%d, want %d: %s", r.code, c.code, r.body)
			}
			if c.name == "bob's list is empty" && strings.Contains(r.body, id) {
				t.Fatalf("bob sees alice's credential: %s", r.body)
			}
		})
	}

	if r := e.do(t, "DELETE", base+"/"+access, alice, nil); r.code != 204 {
		t.Fatalf("delete: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", base+"/"+access, alice, nil); r.code != 404 {
		t.Fatalf("show after delete: %d %s", r.code, r.body)
	}
	// Deleting the user takes its remaining credentials with it.
	if r := e.do(t, "DELETE", "/identity/v3/users/"+aliceID, admin, nil); r.code != 204 {
		t.Fatalf("delete user: %d", r.code)
	}
	if r := e.do(t, "GET", "/identity/v3/credentials?user_id="+aliceID, admin, nil); r.code != 200 || strings.Contains(r.body, `"type":"ec2"`) {
		t.Fatalf("credentials outlived their user: %s", r.body)
	}
}

func TestCredentialsCRUD(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, aliceID := e.member(t, admin, "alice")
	alice := e.token(t, "alice", "alice-pw", "alice")
	c := "/identity/v3/credentials"

	r := e.do(t, "POST", c, alice, map[string]any{"credential": map[string]any{"type": "cert", "blob": "opaque", "user_id": aliceID}})
	if r.code != 201 {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	got := r.json(t)["credential"].(map[string]any)
	id := got["id"].(string)
	if got["project_id"] != nil || got["blob"] != "opaque" || got["type"] != "cert" {
		t.Fatalf("created %v", got)
	}
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		code                      int
	}{
		{"blob required", "POST", c, alice, map[string]any{"credential": map[string]any{"type": "cert", "user_id": aliceID}}, 400},
		{"ec2 blob must be JSON with access", "POST", c, alice, map[string]any{"credential": map[string]any{"type": "ec2", "blob": "x", "user_id": aliceID, "project_id": projectID}}, 400},
		{"ec2 needs a project", "POST", c, alice, map[string]any{"credential": map[string]any{"type": "ec2", "blob": `{"access":"a","secret":"s"}`, "user_id": aliceID}}, 400},
		{"member cannot create for admin's user", "POST", c, alice, map[string]any{"credential": map[string]any{"type": "cert", "blob": "b", "user_id": "someone"}}, 403},
		{"unknown user", "POST", c, admin, map[string]any{"credential": map[string]any{"type": "cert", "blob": "b", "user_id": "nope"}}, 404},
		{"ec2 via generic API", "POST", c, alice, map[string]any{"credential": map[string]any{"type": "ec2", "blob": `{"access":"a","secret":"s"}`, "user_id": aliceID, "project_id": projectID}}, 201},
		{"same access key twice", "POST", c, alice, map[string]any{"credential": map[string]any{"type": "ec2", "blob": `{"access":"a","secret":"t"}`, "user_id": aliceID, "project_id": projectID}}, 409},
		{"update blob", "PATCH", c + "/" + id, alice, map[string]any{"credential": map[string]any{"blob": "new"}}, 200},
		{"cannot give it away", "PATCH", c + "/" + id, alice, map[string]any{"credential": map[string]any{"user_id": "someone"}}, 403},
		{"missing", "GET", c + "/nope", admin, nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do(t, tc.method, tc.path, tc.token, tc.body); r.code != tc.code {
				t.Fatalf("%d, want %d: %s", r.code, tc.code, r.body)
			}
		})
	}
	r = e.do(t, "GET", c+"?type=cert", admin, nil)
	if r.code != 200 || !strings.Contains(r.body, `"blob":"new"`) || strings.Contains(r.body, `"type":"ec2"`) {
		t.Fatalf("filtered list: %s", r.body)
	}
	if r := e.do(t, "DELETE", c+"/"+id, alice, nil); r.code != 204 {
		t.Fatalf("delete: %d", r.code)
	}
	if r := e.do(t, "GET", c+"/"+id, alice, nil); r.code != 404 {
		t.Fatalf("after delete: %d", r.code)
	}
	// The access key may change, as in Keystone: the id stays the hash of
	// the first key, and the credential answers to the new key only.
	sum := sha256.Sum256([]byte("a"))
	ec2ID := hex.EncodeToString(sum[:])
	if r := e.do(t, "PATCH", c+"/"+ec2ID, alice, map[string]any{"credential": map[string]any{"blob": `{"access":"b","secret":"s2"}`}}); r.code != 200 {
		t.Fatalf("access change: %d %s", r.code, r.body)
	}
	if got, err := e.svc.EC2Credential(context.Background(), "b"); err != nil || got.ID != ec2ID || got.Secret != "s2" {
		t.Fatalf("by the new key: %+v %v", got, err)
	}
	if _, err := e.svc.EC2Credential(context.Background(), "a"); err == nil {
		t.Fatal("the old key still finds the credential")
	}
	e.mustDo(t, "POST", c, alice, map[string]any{"credential": map[string]any{"type": "ec2", "blob": `{"access":"x","secret":"s"}`, "user_id": aliceID, "project_id": projectID}}, 201)
	e.mustDo(t, "PATCH", c+"/"+ec2ID, alice, map[string]any{"credential": map[string]any{"blob": `{"access":"x","secret":"s"}`}}, 409)
	e.mustDo(t, "PATCH", c+"/"+ec2ID, alice, map[string]any{"credential": map[string]any{"blob": `{"access":"b","secret":"s","trust_id":"t"}`}}, 400)
	// Deleting the project takes its credentials.
	if r := e.do(t, "DELETE", "/identity/v3/projects/"+projectID, admin, nil); r.code != 204 {
		t.Fatalf("delete project: %d", r.code)
	}
	if r := e.do(t, "GET", c+"/"+ec2ID, admin, nil); r.code != 404 {
		t.Fatalf("credential outlived its project: %d", r.code)
	}
}
