// Package blobtest gives tests a blob store: the filesystem store in a
// temp dir, or, when STRATUS_TEST_S3 holds an s3:// URL (the --blob form,
// credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), a fresh
// prefix of that bucket, emptied when the test ends. The service suites
// thus run on both backends, as storetest runs them on both databases.
// It also starts a real SeaweedFS server for the tests that need one.
package blobtest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/s3blob"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

// S3Env names the variable holding the S3 URL the suites run on.
const S3Env = "STRATUS_TEST_S3"

// S3 reports whether the suites run on S3.
func S3() bool { return os.Getenv(S3Env) != "" }

// Open returns an empty store for one test.
func Open(t testing.TB) blob.Store {
	t.Helper()
	raw := os.Getenv(S3Env)
	if raw == "" {
		fs, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	o, err := s3blob.ParseURL(raw, os.Getenv)
	if err != nil {
		t.Fatalf("%s: %v", S3Env, err)
	}
	o.Prefix += "t-" + randHex(6) + "/"
	o.StageDir = t.TempDir()
	return OpenS3(t, o)
}

// OpenGroup is Open with the filesystem store wrapped in blob.Group, as
// the server runs it.
func OpenGroup(t testing.TB) blob.Store {
	t.Helper()
	s := Open(t)
	if fs, ok := s.(*blob.FS); ok {
		return blob.NewGroup(fs)
	}
	return s
}

// NodeBlob is the --blob setting for one stratus process of an
// end-to-end test: "" (its data dir) unless the suites run on S3, then a
// fresh prefix of that bucket (credentials come from the AWS_* variables
// the process inherits).
func NodeBlob() string {
	raw := os.Getenv(S3Env)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw // the node refuses it with a clear message
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/e2e-" + randHex(6)
	return u.String()
}

// OpenS3 opens a store with o and deletes every key under its prefix when
// the test ends.
func OpenS3(t testing.TB, o s3blob.Options) *s3blob.Store {
	t.Helper()
	ctx := context.Background()
	st, err := s3blob.New(ctx, o)
	if err != nil {
		t.Fatalf("s3 store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		st.List(ctx, "", func(i blob.Info) error { return st.Delete(ctx, i.Key) })
	})
	return st
}

// RequireWeed returns the weed binary, skipping the test when it is
// missing (failing under STRATUS_REQUIRE_TOOLS=1, as CI runs).
func RequireWeed(t testing.TB) string {
	t.Helper()
	if p := WeedPath(); p != "" {
		return p
	}
	return testutil.RequireTool(t, "weed") // skips or fails with the standard message
}

// StartSeaweedT starts a SeaweedFS server for the test, stopped when it
// ends.
func StartSeaweedT(t testing.TB) *Seaweed {
	t.Helper()
	weed := RequireWeed(t)
	sw, err := StartSeaweed(weed, t.TempDir())
	if err != nil {
		t.Fatalf("seaweedfs: %v", err)
	}
	t.Cleanup(sw.Stop)
	return sw
}
