package identity_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// signV2 signs an EC2 query as keystoneclient's v2 signer does (only
// letters and digits in the values here, so no escaping is needed).
func signV2(secret, host, path, access, ts string) string {
	qs := "AWSAccessKeyId=" + access + "&Action=DescribeImages&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=" + strings.ReplaceAll(ts, ":", "%3A")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("GET\n" + host + "\n" + path + "\n" + qs))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestEC2AndS3Tokens(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	projectID, aliceID := e.member(t, admin, "alice")
	alice := e.token(t, "alice", "alice-pw", "alice")
	r := e.mustDo(t, "POST", v3+"/users/"+aliceID+"/credentials/OS-EC2", alice, map[string]any{"tenant_id": projectID}, 201)
	access := get(r.json(t), "credential", "access").(string)
	secret := get(r.json(t), "credential", "secret").(string)
	// The test clock is 2026-01-02T03:04:05Z.
	ts := "2026-01-02T03:00:00Z"
	creds := func(sig, ts, host string) map[string]any {
		return map[string]any{"credentials": map[string]any{"access": access, "signature": sig, "host": host, "verb": "GET", "path": "/",
			"params": map[string]any{"AWSAccessKeyId": access, "Action": "DescribeImages", "SignatureMethod": "HmacSHA256", "SignatureVersion": "2", "Timestamp": ts}}}
	}
	good := signV2(secret, "ec2.test:8773", "/", access, ts)
	r = e.mustDo(t, "POST", v3+"/ec2tokens", admin, creds(good, ts, "ec2.test:8773"), 200)
	if r.hdr.Get("X-Subject-Token") == "" || get(r.json(t), "token", "project", "id") != projectID ||
		get(r.json(t), "token", "user", "id") != aliceID || get(r.json(t), "token", "methods").([]any)[0] != "ec2credential" {
		t.Fatalf("ec2tokens: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/auth/projects", r.hdr.Get("X-Subject-Token"), nil, 200)
	// A client that signed without the port is accepted too, as in Keystone.
	e.mustDo(t, "POST", v3+"/ec2tokens", admin, creds(signV2(secret, "ec2.test", "/", access, ts), ts, "ec2.test:8773"), 200)

	svcUser := e.create(t, admin, "user", map[string]any{"name": "glance", "password": "glance-pw"})
	svcRole := e.create(t, admin, "role", map[string]any{"name": "service"})
	e.mustDo(t, "PUT", v3+"/projects/"+projectID+"/users/"+svcUser+"/roles/"+svcRole, admin, nil, 204)
	service := e.token(t, "glance", "glance-pw", "alice")
	for _, c := range []struct {
		name, token string
		body        any
		code        int
	}{
		{"a service user may", service, creds(good, ts, "ec2.test:8773"), 200},
		{"a member may not", alice, creds(good, ts, "ec2.test:8773"), 403},
		{"no token", "", creds(good, ts, "ec2.test:8773"), 401},
		{"wrong signature", admin, creds(signV2(secret+"x", "ec2.test:8773", "/", access, ts), ts, "ec2.test:8773"), 401},
		{"signed for another host", admin, creds(good, ts, "evil.test:8773"), 401},
		{"expired timestamp", admin, creds(signV2(secret, "ec2.test:8773", "/", access, "2026-01-02T02:40:00Z"), "2026-01-02T02:40:00Z", "ec2.test:8773"), 401},
		{"unknown access key", admin, map[string]any{"credentials": map[string]any{"access": "nope", "signature": "x"}}, 404},
		{"no access key", admin, map[string]any{"credentials": map[string]any{"signature": "x"}}, 401},
		{"empty body", admin, map[string]any{}, 400},
	} {
		t.Run(c.name, func(t *testing.T) { e.mustDo(t, "POST", v3+"/ec2tokens", c.token, c.body, c.code) })
	}

	// s3tokens, signature v1 over the string to sign S3 built.
	sts := "GET\n\n\nFri, 02 Jan 2026 03:00:00 GMT\n/bucket/key"
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts))
	s3 := map[string]any{"credentials": map[string]any{"access": access, "token": base64.URLEncoding.EncodeToString([]byte(sts)),
		"signature": base64.StdEncoding.EncodeToString(m.Sum(nil))}}
	r = e.mustDo(t, "POST", v3+"/s3tokens", admin, s3, 200)
	if get(r.json(t), "token", "project", "id") != projectID {
		t.Fatalf("s3tokens: %s", r.body)
	}
	s3["credentials"].(map[string]any)["signature"] = "AAAA"
	e.mustDo(t, "POST", v3+"/s3tokens", admin, s3, 401)
	e.mustDo(t, "POST", v3+"/s3tokens", alice, s3, 403)

	// A disabled user's credential no longer gives tokens.
	e.mustDo(t, "PATCH", v3+"/users/"+aliceID, admin, map[string]any{"user": map[string]any{"enabled": false}}, 200)
	e.mustDo(t, "POST", v3+"/ec2tokens", admin, creds(good, ts, "ec2.test:8773"), 401)
}
