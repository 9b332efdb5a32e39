package scpauth

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

type fakeCreds struct{}

func (fakeCreds) Credential(ctx context.Context, access string) (*Credential, error) {
	if access != "AK1" {
		return nil, fault.NotFoundf("Could not find credential.")
	}
	return &Credential{Secret: "s3cr3t", UserID: "u1", ProjectID: "p1"}, nil
}

func (fakeCreds) PrincipalFor(ctx context.Context, user, project string) (*policy.Principal, error) {
	return &policy.Principal{UserID: user, ProjectID: project, Roles: []string{"member"}}, nil
}

func TestEncodeURI(t *testing.T) {
	for in, want := range map[string]string{
		"https://h/v1/images/abc/import?x=1&y=2#f": "https://h/v1/images/abc/import?x=1&y=2#f",
		"http://h/a b/ü":                           "http://h/a%20b/%C3%BC",
		"http://h/a%20b":                           "http://h/a%2520b",
		"http://h/[x]{y}":                          "http://h/%5Bx%5D%7By%7D",
	} {
		if got := EncodeURI(in); got != want {
			t.Errorf("EncodeURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerify(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := now
	v := New(db, fakeCreds{}, func() time.Time { return clock })
	const url = "http://cloud.example:5000/virtualserver/v1/images/abc/import"
	req := func(method, access, secret string, ts time.Time, mutate func(h map[string]string)) error {
		r := httptest.NewRequest(method, url, nil)
		stamp := strconv.FormatInt(ts.UnixMilli(), 10)
		h := map[string]string{HeaderAccessKey: access, HeaderTimestamp: stamp, HeaderClientType: "Openapi",
			HeaderSignature: Sign(secret, method, url, stamp, access, "Openapi")}
		if mutate != nil {
			mutate(h)
		}
		for k, val := range h {
			if val != "" {
				r.Header.Set(k, val)
			}
		}
		if !v.Claims(r) {
			return fault.Internalf("not claimed")
		}
		p, err := v.AuthenticateRequest(r)
		if err == nil && (p.UserID != "u1" || p.ProjectID != "p1") {
			t.Fatalf("principal %+v", p)
		}
		return err
	}
	tests := []struct {
		name   string
		err    error
		reject bool
	}{
		{"good", req("POST", "AK1", "s3cr3t", now, nil), false},
		{"replay", req("POST", "AK1", "s3cr3t", now, nil), true},
		{"good again, a new timestamp", req("POST", "AK1", "s3cr3t", now.Add(time.Millisecond), nil), false},
		{"wrong secret", req("POST", "AK1", "other", now.Add(2*time.Millisecond), nil), true},
		{"unknown key", req("POST", "AK2", "s3cr3t", now.Add(3*time.Millisecond), nil), true},
		{"stale", req("POST", "AK1", "s3cr3t", now.Add(-6*time.Minute), nil), true},
		{"future", req("POST", "AK1", "s3cr3t", now.Add(6*time.Minute), nil), true},
		{"within window", req("POST", "AK1", "s3cr3t", now.Add(-4*time.Minute), nil), false},
		{"method changed", req("POST", "AK1", "s3cr3t", now.Add(4*time.Millisecond), func(h map[string]string) {
			h[HeaderSignature] = Sign("s3cr3t", "GET", url, h[HeaderTimestamp], "AK1", "Openapi")
		}), true},
		{"client type changed", req("POST", "AK1", "s3cr3t", now.Add(5*time.Millisecond), func(h map[string]string) {
			h[HeaderClientType] = "Other"
		}), true},
		{"no timestamp", req("POST", "AK1", "s3cr3t", now, func(h map[string]string) { h[HeaderTimestamp] = "" }), true},
		{"bad base64", req("POST", "AK1", "s3cr3t", now, func(h map[string]string) { h[HeaderSignature] = "!!" }), true},
	}
	for _, tc := range tests {
		if tc.reject != (tc.err != nil) {
			t.Errorf("%s: %v", tc.name, tc.err)
		}
		if tc.err != nil && fault.KindOf(tc.err) != fault.Unauthorized {
			t.Errorf("%s: kind %v", tc.name, tc.err)
		}
	}
	// Expired signatures are swept.
	clock = now.Add(20 * time.Minute)
	req("POST", "AK1", "s3cr3t", clock, nil)
	var n int
	db.R().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM scp_signatures").Scan(&n)
	if n != 1 {
		t.Fatalf("%d signatures kept, want 1", n)
	}
}
