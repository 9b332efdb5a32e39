package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scpClient signs requests as SCP's SDKs do.
type scpClient struct {
	n              *Node
	access, secret string
	version        string // Scp-Api-Version, "" for none
}

// sign is Base64(HMAC-SHA256(secret, METHOD + URL + timestamp + access key + client type)).
func (c *scpClient) sign(method, url, ts string) string {
	m := hmac.New(sha256.New, []byte(c.secret))
	m.Write([]byte(method + url + ts + c.access + "Openapi"))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// do sends a signed request at time at; sig overrides the signature.
func (c *scpClient) do(t *testing.T, method, path string, body any, at time.Time, sig string) (int, []byte, *http.Request) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		js, _ := json.Marshal(body)
		rd = bytes.NewReader(js)
	}
	url := c.n.URL + path
	req, _ := http.NewRequest(method, url, rd)
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	if sig == "" {
		sig = c.sign(method, url, ts)
	}
	req.Header.Set("Scp-Accesskey", c.access)
	req.Header.Set("Scp-Timestamp", ts)
	req.Header.Set("Scp-ClientType", "Openapi")
	req.Header.Set("Scp-Signature", sig)
	req.Header.Set("Accept-Language", "en-US")
	if c.version != "" {
		req.Header.Set("Scp-Api-Version", c.version)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(t, req)
}

func (c *scpClient) send(t *testing.T, req *http.Request) (int, []byte, *http.Request) {
	t.Helper()
	if req.GetBody != nil {
		req.Body, _ = req.GetBody()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, req
}

// TestSCPImport: an image is filled from a .qcow2 object through SCP's
// import API with signed headers (EC2 credentials made by the openstack
// CLI); bad signatures, stale timestamps, replays and deprecated versions
// are refused; the bytes equal the object.
func TestSCPImport(t *testing.T) {
	dir := t.TempDir()
	disk := imgQcow2File(t, dir)
	data, _ := os.ReadFile(disk)
	n := StartNode(t)
	k := newK5(t, n, "admin", AdminPassword, "admin")
	k.putObject(t, "bucket", "disk.qcow2", data)
	k.putObject(t, "bucket", "disk.img", data)
	cred := imgJSON(t, n.MustOpenStack(t, "ec2", "credentials", "create", "-f", "json"))
	c := &scpClient{n: n, access: cred["access"].(string), secret: cred["secret"].(string)}
	url := n.URL + "/object-store/v1/AUTH_" + k.proj + "/bucket/disk.qcow2"
	scpURL := n.URL + "/" + k.proj + "/bucket/disk.qcow2"
	newImage := func() string {
		return imgCreate(t, n, k.tok, map[string]any{"name": "scp", "disk_format": "qcow2", "container_format": "bare"})
	}
	now := time.Now()

	// The versions document.
	code, _, body := n.Do(t, "GET", "/virtualserver/", "", nil)
	if code != 200 || !strings.Contains(string(body), `"id":"v1.3"`) || !strings.Contains(string(body), `"status":"CURRENT"`) ||
		!strings.Contains(string(body), `"not_before":"2025-12-31","status":"DEPRECATED"`) {
		t.Fatalf("versions: %d %s", code, body)
	}

	id := newImage()
	path := "/virtualserver/v1/images/" + id + "/import"
	refused := []struct {
		name string
		c    *scpClient
		at   time.Time
		sig  string
		code int
	}{
		{"wrong secret", &scpClient{n: n, access: c.access, secret: "wrong"}, now, "", 401},
		{"unknown key", &scpClient{n: n, access: "nokey", secret: c.secret}, now, "", 401},
		{"stale timestamp", c, now.Add(-6 * time.Minute), "", 401},
		{"future timestamp", c, now.Add(6 * time.Minute), "", 401},
		{"garbage signature", c, now, "bm90IGEgc2lnbmF0dXJl", 401},
		{"deprecated 1.0", &scpClient{n: n, access: c.access, secret: c.secret, version: "virtualserver 1.0"}, now, "", 400},
		{"deprecated 1.1", &scpClient{n: n, access: c.access, secret: c.secret, version: "virtualserver 1.1"}, now.Add(time.Millisecond), "", 400},
	}
	for _, r := range refused {
		if code, b, _ := r.c.do(t, "POST", path, map[string]string{"url": url}, r.at, r.sig); code != r.code {
			t.Errorf("%s: %d %s, want %d", r.name, code, b, r.code)
		}
	}
	if code, b, _ := (&scpClient{n: n, access: c.access, secret: c.secret, version: "virtualserver 1.0"}).do(t, "POST", path,
		map[string]string{"url": url}, now.Add(2*time.Millisecond), ""); !strings.Contains(string(b), "deprecated") {
		t.Errorf("deprecated version message: %d %s", code, b)
	}

	// A good signature (no version header: the current one).
	code, b, req := c.do(t, "POST", path, map[string]string{"url": url}, now.Add(3*time.Millisecond), "")
	if code != 202 {
		t.Fatalf("import: %d %s", code, b)
	}
	// The same signed request again is a replay.
	if code, b, _ := c.send(t, req); code != 401 || !strings.Contains(string(b), "already used") {
		t.Fatalf("replay: %d %s", code, b)
	}
	im := waitImage(t, n, k.tok, id, "importing")
	if im["status"] != "active" || im["disk_format"] != "qcow2" {
		t.Fatalf("image %v", im)
	}
	code, _, got := n.Do(t, "GET", "/image/v2/images/"+id+"/file", k.tok, nil)
	if code != 200 || !bytes.Equal(got, data) {
		t.Fatalf("image bytes: %d, equal %v", code, bytes.Equal(got, data))
	}

	// SCP's own url shape and version 1.2; then the errors of seed 001.
	c12 := &scpClient{n: n, access: c.access, secret: c.secret, version: "virtualserver 1.2"}
	id2 := newImage()
	if code, b, _ := c12.do(t, "POST", "/virtualserver/v1/images/"+id2+"/import", map[string]string{"url": scpURL}, now.Add(4*time.Millisecond), ""); code != 202 {
		t.Fatalf("SCP url shape: %d %s", code, b)
	}
	waitImage(t, n, k.tok, id2, "importing")
	for i, e := range []struct {
		id, url string
		code    int
	}{
		{id, url, 409}, // active: accepts no data
		{"00000000-0000-0000-0000-000000000000", url, 404},
		{newImage(), n.URL + "/object-store/v1/AUTH_" + k.proj + "/bucket/disk.img", 400},
		{newImage(), "http://169.254.169.254/" + k.proj + "/bucket/disk.qcow2", 400},
		{newImage(), "not a url", 400},
	} {
		at := now.Add(time.Duration(10+i) * time.Millisecond)
		if code, b, _ := c.do(t, "POST", "/virtualserver/v1/images/"+e.id+"/import", map[string]string{"url": e.url}, at, ""); code != e.code {
			t.Errorf("%s %s: %d %s, want %d", e.id, e.url, code, b, e.code)
		}
	}

	// Signed headers are accepted wherever a token is.
	code, b, _ = c.do(t, "GET", "/image/v2/images/"+id, nil, now.Add(20*time.Millisecond), "")
	if code != 200 || !strings.Contains(string(b), id) {
		t.Fatalf("glance with SCP signature: %d %s", code, b)
	}
	// A reader's key cannot import.
	n.MustOpenStack(t, "user", "create", "--project", "admin", "--password", "pr", "r2")
	n.MustOpenStack(t, "role", "add", "--project", "admin", "--user", "r2", "reader")
	rcred := imgJSON(t, n.MustOpenStack(t, "ec2", "credentials", "create", "--user", "r2", "--project", "admin", "-f", "json"))
	rc := &scpClient{n: n, access: rcred["access"].(string), secret: rcred["secret"].(string)}
	if code, b, _ := rc.do(t, "POST", "/virtualserver/v1/images/"+newImage()+"/import", map[string]string{"url": url}, now, ""); code != 403 {
		t.Fatalf("reader: %d %s", code, b)
	}
}
