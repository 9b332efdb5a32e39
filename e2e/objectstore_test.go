package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// swiftAuth issues an admin token and returns it with the storage URL.
func swiftAuth(t *testing.T, n *Node) (token, storageURL string) {
	t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":%q}}},
		"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}`, AdminPassword)
	resp, err := http.Post(n.URL+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 201 {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return resp.Header.Get("X-Subject-Token"), n.URL + "/object-store/v1/AUTH_" + doc.Token.Project.ID
}

// swiftCLI runs Debian's swift client with v3 password auth.
func swiftCLI(t *testing.T, n *Node, dir string, args ...string) string {
	t.Helper()
	bin := testutil.RequireTool(t, "swift")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "HOME="+n.DataDir, "OS_AUTH_URL="+n.URL+"/identity/v3", "OS_IDENTITY_API_VERSION=3",
		"OS_USERNAME=admin", "OS_PASSWORD="+AdminPassword, "OS_PROJECT_NAME=admin",
		"OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default", "ST_AUTH_VERSION=3")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("swift %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func randomFile(t *testing.T, path string, size int) string {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func fileMD5(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func TestObjectStoreSwiftCLI(t *testing.T) {
	n := StartNode(t)
	dir := t.TempDir()
	small := randomFile(t, filepath.Join(dir, "small.bin"), 300<<10)
	big := randomFile(t, filepath.Join(dir, "big.bin"), 5<<20+123)

	swiftCLI(t, n, dir, "upload", "c1", "small.bin")
	swiftCLI(t, n, dir, "upload", "--use-slo", "--segment-size", "1048576", "c1", "big.bin")
	list := swiftCLI(t, n, dir, "list", "c1")
	if !strings.Contains(list, "small.bin") || !strings.Contains(list, "big.bin") {
		t.Fatalf("list: %q", list)
	}
	if l := swiftCLI(t, n, dir, "list"); !strings.Contains(l, "c1\n") || !strings.Contains(l, "c1_segments") {
		t.Fatalf("account list: %q", l)
	}
	// swiftclient looks for /info at the storage URL's host root.
	if caps := swiftCLI(t, n, dir, "capabilities"); !strings.Contains(caps, "max_file_size") || !strings.Contains(caps, "slo") {
		t.Fatalf("capabilities: %q", caps)
	}
	stat := swiftCLI(t, n, dir, "stat", "c1", "big.bin")
	if !strings.Contains(stat, "Manifest") && !strings.Contains(stat, "X-Static-Large-Object") {
		t.Logf("stat big: %s", stat)
	}
	out := t.TempDir()
	swiftCLI(t, n, dir, "download", "c1", "small.bin", "-o", filepath.Join(out, "small"))
	swiftCLI(t, n, dir, "download", "c1", "big.bin", "-o", filepath.Join(out, "big"))
	if got := fileMD5(t, filepath.Join(out, "small")); got != small {
		t.Fatalf("small md5 %s want %s", got, small)
	}
	if got := fileMD5(t, filepath.Join(out, "big")); got != big {
		t.Fatalf("big md5 %s want %s", got, big)
	}

	swiftCLI(t, n, dir, "post", "-m", "color:blue", "c1", "small.bin")
	if s := swiftCLI(t, n, dir, "stat", "c1", "small.bin"); !strings.Contains(s, "Meta Color: blue") {
		t.Fatalf("stat after post: %s", s)
	}
	swiftCLI(t, n, dir, "post", "c2")
	swiftCLI(t, n, dir, "copy", "-d", "/c2/copied.bin", "c1", "small.bin")
	swiftCLI(t, n, dir, "download", "c2", "copied.bin", "-o", filepath.Join(out, "copied"))
	if got := fileMD5(t, filepath.Join(out, "copied")); got != small {
		t.Fatalf("copied md5 %s", got)
	}

	// Temp URL signed by the CLI, fetched anonymously.
	token, storage := swiftAuth(t, n)
	swiftCLI(t, n, dir, "post", "-m", "Temp-URL-Key:sekrit")
	path := strings.TrimPrefix(storage, n.URL+"/object-store") + "/c1/small.bin"
	signed := strings.TrimSpace(swiftCLI(t, n, dir, "tempurl", "GET", "600", path, "sekrit"))
	resp, err := http.Get(n.URL + "/object-store" + signed)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if sum := md5.Sum(b); resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != small {
		t.Fatalf("temp url GET %s: %d", signed, resp.StatusCode)
	}
	resp, _ = http.Get(n.URL + "/object-store" + strings.Replace(signed, "temp_url_sig=", "temp_url_sig=0", 1))
	if resp.StatusCode != 401 {
		t.Fatalf("forged temp url: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// A prefix-based URL with an ISO 8601 expiry, as the CLI signs it, opens
	// every object under the prefix and nothing else.
	signed = strings.TrimSpace(swiftCLI(t, n, dir, "tempurl", "--prefix-based", "--iso8601", "GET", "600",
		strings.TrimSuffix(path, "small.bin")+"sm", "sekrit"))
	_, query, _ := strings.Cut(signed, "?")
	if !strings.Contains(query, "temp_url_prefix=sm") || !strings.Contains(query, "Z") {
		t.Fatalf("prefix-based ISO 8601 temp url: %s", signed)
	}
	for obj, want := range map[string]int{"small.bin": 200, "big.bin": 401} {
		resp, err := http.Get(n.URL + "/object-store" + strings.TrimSuffix(path, "small.bin") + obj + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("prefix temp url for %s: %d, want %d", obj, resp.StatusCode, want)
		}
	}

	swiftCLI(t, n, dir, "delete", "c1", "big.bin")
	swiftCLI(t, n, dir, "delete", "c1")
	code, _, _ := n.Do(t, "HEAD", strings.TrimPrefix(storage, n.URL)+"/c1", token, nil)
	if code != 404 {
		t.Fatalf("deleted container: %d", code)
	}
	// The SLO's segments went with it.
	if l := swiftCLI(t, n, dir, "list", "c1_segments"); strings.TrimSpace(l) != "" {
		t.Fatalf("segments left: %q", l)
	}
}

func TestObjectStoreOpenStackCLI(t *testing.T) {
	n := StartNode(t)
	dir := t.TempDir()
	sum := randomFile(t, filepath.Join(dir, "obj.bin"), 100<<10)
	n.MustOpenStack(t, "container", "create", "box")
	if out := n.MustOpenStack(t, "container", "list", "-f", "value"); !strings.Contains(out, "box") {
		t.Fatalf("container list: %q", out)
	}
	old, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(old)
	n.MustOpenStack(t, "object", "create", "box", "obj.bin")
	if out := n.MustOpenStack(t, "object", "list", "box", "-f", "value"); !strings.Contains(out, "obj.bin") {
		t.Fatalf("object list: %q", out)
	}
	show := n.MustOpenStack(t, "object", "show", "box", "obj.bin", "-f", "json")
	if !strings.Contains(show, sum) {
		t.Fatalf("object show lacks etag %s: %s", sum, show)
	}
	n.MustOpenStack(t, "object", "save", "box", "obj.bin", "--file", filepath.Join(dir, "back.bin"))
	if got := fileMD5(t, filepath.Join(dir, "back.bin")); got != sum {
		t.Fatalf("saved md5 %s", got)
	}
	n.MustOpenStack(t, "object", "set", "--property", "k=v", "box", "obj.bin")
	n.MustOpenStack(t, "container", "show", "box")
	n.MustOpenStack(t, "object", "delete", "box", "obj.bin")
	n.MustOpenStack(t, "container", "delete", "box")
}

// TestObjectStoreKillDuringPut kills the server while a PUT that replaces
// an object is streaming: after restart the old version is served whole.
func TestObjectStoreKillDuringPut(t *testing.T) {
	n := StartNode(t)
	token, storage := swiftAuth(t, n)
	put := func(body io.Reader, size int64) (*http.Response, error) {
		req, _ := http.NewRequest("PUT", storage+"/c/obj", body)
		req.Header.Set("X-Auth-Token", token)
		req.ContentLength = size
		return http.DefaultClient.Do(req)
	}
	req, _ := http.NewRequest("PUT", storage+"/c", nil)
	req.Header.Set("X-Auth-Token", token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create container: %v", err)
	}
	old := bytes.Repeat([]byte("old version "), 100000)
	if resp, err := put(bytes.NewReader(old), int64(len(old))); err != nil || resp.StatusCode != 201 {
		t.Fatalf("first put: %v", err)
	}
	// A 64 MiB PUT that stops sending after 8 MiB, then the kill.
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("N"), 1<<20)
		for i := 0; i < 8; i++ {
			pw.Write(chunk)
		}
		time.Sleep(300 * time.Millisecond)
		n.Kill()
		pw.CloseWithError(io.ErrUnexpectedEOF)
	}()
	if resp, err := put(pr, 64<<20); err == nil && resp.StatusCode == 201 {
		t.Fatal("torn PUT acknowledged")
	}
	n.start()
	token, _ = swiftAuth(t, n)
	req, _ = http.NewRequest("GET", storage+"/c/obj", nil)
	req.Header.Set("X-Auth-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, old) {
		t.Fatalf("after crash: %d, %d bytes (want the old %d)", resp.StatusCode, len(got), len(old))
	}
	if etag := resp.Header.Get("Etag"); etag != fmt.Sprintf("%x", md5.Sum(old)) {
		t.Fatalf("etag %s", etag)
	}
}

// TestObjectStoreIsolation: a second project's user cannot touch the admin
// project's account until a container ACL names it; every response carries
// Swift's headers.
func TestObjectStoreIsolation(t *testing.T) {
	n := StartNode(t)
	adminTok, storage := swiftAuth(t, n)
	n.MustOpenStack(t, "project", "create", "p2")
	n.MustOpenStack(t, "user", "create", "--project", "p2", "--password", "pw2", "u2")
	n.MustOpenStack(t, "role", "add", "--project", "p2", "--user", "u2", "member")
	tok2 := n.Token(t, "u2", "pw2", "p2")
	path := strings.TrimPrefix(storage, n.URL)
	do := func(method, p, tok, body string, hdr ...string) (int, http.Header) {
		req, _ := http.NewRequest(method, n.URL+p, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("X-Auth-Token", tok)
		}
		for _, h := range hdr {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		for _, h := range []string{"X-Trans-Id", "X-Openstack-Request-Id", "Date", "X-Timestamp"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s %s: no %s", method, p, h)
			}
		}
		return resp.StatusCode, resp.Header
	}
	if c, _ := do("PUT", path+"/priv", adminTok, ""); c != 201 {
		t.Fatalf("create: %d", c)
	}
	do("PUT", path+"/priv/o", adminTok, "data")
	if c, _ := do("GET", path, tok2, ""); c != 403 {
		t.Fatalf("foreign account listing: %d", c)
	}
	if c, _ := do("GET", path+"/priv/o", tok2, ""); c != 403 {
		t.Fatalf("foreign object: %d", c)
	}
	if c, _ := do("GET", path+"/priv/o", "", ""); c != 401 {
		t.Fatalf("anonymous: %d", c)
	}
	if c, _ := do("POST", path+"/priv", adminTok, "", "X-Container-Read: p2:u2"); c != 204 {
		t.Fatalf("set ACL: %d", c)
	}
	if c, _ := do("GET", path+"/priv/o", tok2, ""); c != 200 {
		t.Fatalf("with read ACL: %d", c)
	}
	if c, _ := do("PUT", path+"/priv/o2", tok2, "x"); c != 403 {
		t.Fatalf("write without write ACL: %d", c)
	}
}

// A DLO upload (--segment-size without --use-slo), account stat and
// prefix/delimiter listings through Debian's swift client.
func TestObjectStoreSwiftCLIDLOAndListings(t *testing.T) {
	n := StartNode(t)
	dir := t.TempDir()
	sum := randomFile(t, filepath.Join(dir, "dlo.bin"), 3<<20+77)
	swiftCLI(t, n, dir, "upload", "--segment-size", "1048576", "c3", "dlo.bin")
	stat := swiftCLI(t, n, dir, "stat", "c3", "dlo.bin")
	if !strings.Contains(stat, "Manifest: c3_segments/dlo.bin/") || !strings.Contains(stat, "Content Length: 3145805") {
		t.Fatalf("stat of a DLO: %s", stat)
	}
	out := t.TempDir()
	swiftCLI(t, n, dir, "download", "c3", "dlo.bin", "-o", filepath.Join(out, "dlo"))
	if got := fileMD5(t, filepath.Join(out, "dlo")); got != sum {
		t.Fatalf("DLO md5 %s want %s", got, sum)
	}
	if segs := strings.Fields(swiftCLI(t, n, dir, "list", "c3_segments")); len(segs) != 4 {
		t.Fatalf("segments: %v", segs)
	}

	for _, name := range []string{"a/1", "a/2", "a0", "b/c/d", "b1"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700)
		randomFile(t, filepath.Join(dir, name), 10)
		swiftCLI(t, n, dir, "upload", "c4", name)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "c4", "--prefix", "a"}, "a/1 a/2 a0"},
		{[]string{"list", "c4", "--delimiter", "/"}, "a/ a0 b/ b1"},
		{[]string{"list", "c4", "--prefix", "b/", "--delimiter", "/"}, "b/c/"},
	} {
		if got := strings.Join(strings.Fields(swiftCLI(t, n, dir, tc.args...)), " "); got != tc.want {
			t.Errorf("swift %s: %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}

	acct := swiftCLI(t, n, dir, "stat")
	for _, want := range []string{"Containers: 3", "Objects: 10", "Bytes: 3145855"} {
		if !strings.Contains(acct, want) {
			t.Errorf("account stat lacks %q:\n%s", want, acct)
		}
	}
}
