package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

const uuidA = "d8e02d56-2648-49a3-bf97-6be8f1204f38"

func instA() *Instance {
	return &Instance{
		UUID: uuidA, Name: "web 1", Hostname: "web-1", ProjectID: "p1", AvailabilityZone: "nova",
		ReservationID: "r-abc", Flavor: "m1.tiny", ImageID: "3f6a27c4-8c5b-4b6c-9a8e-9b8b9a9f0e11",
		Meta:     map[string]string{"role": "web"},
		Keys:     []Key{{Name: "k1", Type: "ssh", Data: "ssh-ed25519 AAAA k1"}},
		UserData: []byte("#cloud-config\nruncmd: [touch /ok]\n"),
		NICs: []NIC{{PortID: "0123456789abcdef", NetworkID: "net-1", MAC: "fa:16:3e:00:00:01", IP: "10.0.0.5",
			CIDR: "10.0.0.0/24", Gateway: "10.0.0.1", DNS: []string{"10.0.0.2"}, MTU: 1500}},
		SecurityGroups: []string{"default", "web"},
	}
}

type memPasswords struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *memPasswords) Password(ctx context.Context, id string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id], nil
}

func (p *memPasswords) SetPassword(ctx context.Context, id, v string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m[id] != "" {
		return ErrPasswordSet
	}
	p.m[id] = v
	return nil
}

func newHandler() (http.Handler, *memPasswords) {
	pw := &memPasswords{m: map[string]string{}}
	other := &Instance{UUID: "other", Name: "secret-server", UserData: []byte("secret")}
	return Handler(func(ctx context.Context, id string) (*Instance, error) {
		switch id {
		case uuidA:
			return instA(), nil
		case "other":
			return other, nil
		}
		return nil, errors.New("no such server")
	}, pw), pw
}

func get(h http.Handler, server, method, path string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://169.254.169.254"+path, bytes.NewReader(body))
	if server != "" {
		r = r.WithContext(WithServer(r.Context(), server))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPaths(t *testing.T) {
	h, _ := newHandler()
	cases := []struct {
		path, want string
		code       int
	}{
		{"/", "1.0\n2007-01-19\n2007-03-01\n2007-08-29\n2007-10-10\n2007-12-15\n2008-02-01\n2008-09-01\n2009-04-04\nlatest", 200},
		{"/openstack", "2012-08-10\n2013-04-04\n2013-10-17\n2015-10-15\n2016-06-30\n2016-10-06\n2017-02-22\n2018-08-27\n2020-10-14\nlatest", 200},
		{"/openstack/latest/", "meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json", 200},
		{"/openstack/2012-08-10", "meta_data.json\nuser_data", 200},
		{"/openstack/latest/user_data", "#cloud-config\nruncmd: [touch /ok]\n", 200},
		{"/openstack/latest/vendor_data.json", "{}", 200},
		{"/openstack/2012-08-10/network_data.json", "", 404},
		{"/openstack/2099-01-01/meta_data.json", "", 404},
		{"/openstack/latest/password", "", 200},
		{"/latest", "meta-data/\nuser-data", 200},
		{"/latest/user-data", "#cloud-config\nruncmd: [touch /ok]\n", 200},
		{"/2009-04-04/meta-data/instance-id", "i-d8e02d56", 200},
		{"/latest/meta-data/local-ipv4", "10.0.0.5", 200},
		{"/latest/meta-data/hostname", "web-1", 200},
		{"/latest/meta-data/instance-type", "m1.tiny", 200},
		{"/latest/meta-data/placement/availability-zone", "nova", 200},
		{"/latest/meta-data/public-keys/", "0=k1", 200},
		{"/latest/meta-data/public-keys/0", "openssh-key", 200},
		{"/latest/meta-data/public-keys/0/openssh-key", "ssh-ed25519 AAAA k1", 200},
		{"/latest/meta-data/public-keys/0/_name", "", 404},
		{"/latest/meta-data/security-groups", "default\nweb", 200},
		{"/latest/meta-data/block-device-mapping/", "ami\nroot", 200},
		{"/1.0/meta-data/instance-type", "", 404},
		{"/latest/meta-data/nothing", "", 404},
		{"/../../etc/passwd", "", 404},
		{"/openstack/latest/../../latest/meta-data/hostname", "web-1", 200},
	}
	for _, c := range cases {
		w := get(h, uuidA, "GET", c.path, nil)
		if w.Code != c.code || (c.code == 200 && w.Body.String() != c.want) {
			t.Errorf("GET %s = %d %q, want %d %q", c.path, w.Code, w.Body.String(), c.code, c.want)
		}
	}
	// The meta-data directory lists what the tree holds.
	w := get(h, uuidA, "GET", "/latest/meta-data/", nil)
	for _, k := range []string{"ami-id", "instance-id", "local-hostname", "placement/", "public-keys/", "instance-action"} {
		if !strings.Contains(w.Body.String()+"\n", k+"\n") {
			t.Errorf("meta-data/ listing lacks %s:\n%s", k, w.Body.String())
		}
	}
}

func TestMetaDataJSON(t *testing.T) {
	h, _ := newHandler()
	w := get(h, uuidA, "GET", "/openstack/latest/meta_data.json", nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var md struct {
		UUID       string            `json:"uuid"`
		Name       string            `json:"name"`
		Hostname   string            `json:"hostname"`
		ProjectID  string            `json:"project_id"`
		Meta       map[string]string `json:"meta"`
		PublicKeys map[string]string `json:"public_keys"`
		Keys       []Key             `json:"keys"`
		RandomSeed string            `json:"random_seed"`
		AZ         string            `json:"availability_zone"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &md); err != nil {
		t.Fatal(err)
	}
	if md.UUID != uuidA || md.Name != "web 1" || md.Hostname != "web-1" || md.ProjectID != "p1" || md.Meta["role"] != "web" ||
		md.PublicKeys["k1"] != "ssh-ed25519 AAAA k1" || len(md.Keys) != 1 || md.Keys[0].Type != "ssh" || md.RandomSeed == "" || md.AZ != "nova" {
		t.Fatalf("meta_data.json: %s", w.Body.String())
	}
	old := get(h, uuidA, "GET", "/openstack/2012-08-10/meta_data.json", nil)
	if strings.Contains(old.Body.String(), "random_seed") || strings.Contains(old.Body.String(), "project_id") {
		t.Fatalf("2012-08-10 has newer fields: %s", old.Body.String())
	}
	nd := get(h, uuidA, "GET", "/openstack/latest/network_data.json", nil)
	want := `{"links":[{"id":"tap0123456789a","vif_id":"0123456789abcdef","type":"ethernet","mtu":1500,"ethernet_mac_address":"fa:16:3e:00:00:01"}],` +
		`"networks":[{"id":"network0","type":"ipv4","link":"tap0123456789a","ip_address":"10.0.0.5","netmask":"255.255.255.0",` +
		`"routes":[{"network":"0.0.0.0","netmask":"0.0.0.0","gateway":"10.0.0.1"}],"network_id":"net-1","services":[{"type":"dns","address":"10.0.0.2"}]}],` +
		`"services":[{"type":"dns","address":"10.0.0.2"}]}`
	if nd.Body.String() != want {
		t.Fatalf("network_data.json:\n%s\nwant\n%s", nd.Body.String(), want)
	}
}

func TestIsolationAndMethods(t *testing.T) {
	h, pw := newHandler()
	// A connection bound to no server gets nothing.
	if w := get(h, "", "GET", "/openstack/latest/meta_data.json", nil); w.Code != 403 {
		t.Fatalf("unbound: %d", w.Code)
	}
	// Nothing in a request names another server: every path answers for
	// the bound one.
	for _, p := range []string{"/openstack/latest/user_data?uuid=other", "/openstack/other/user_data", "/other/user-data"} {
		if w := get(h, uuidA, "GET", p, nil); strings.Contains(w.Body.String(), "secret") {
			t.Fatalf("%s leaked another server's data", p)
		}
	}
	if w := get(h, "unknown", "GET", "/", nil); w.Code != 404 {
		t.Fatalf("unknown server: %d", w.Code)
	}
	if w := get(h, uuidA, "PUT", "/openstack/latest/meta_data.json", nil); w.Code != 405 {
		t.Fatalf("PUT: %d", w.Code)
	}
	// The password can be posted once, at most 256 bytes.
	if w := get(h, uuidA, "POST", "/openstack/latest/password", bytes.Repeat([]byte("x"), 257)); w.Code != 400 {
		t.Fatalf("long password: %d", w.Code)
	}
	if w := get(h, uuidA, "POST", "/openstack/2013-04-04/password", []byte("enc")); w.Code != 200 {
		t.Fatalf("password: %d", w.Code)
	}
	if w := get(h, uuidA, "POST", "/openstack/latest/password", []byte("again")); w.Code != 409 {
		t.Fatalf("second password: %d", w.Code)
	}
	if w := get(h, uuidA, "GET", "/openstack/latest/password", nil); w.Body.String() != "enc" || pw.m["other"] != "" {
		t.Fatalf("password read: %q", w.Body.String())
	}
	if w := get(h, uuidA, "POST", "/openstack/2012-08-10/password", []byte("x")); w.Code != 405 {
		t.Fatalf("password on 2012-08-10: %d", w.Code)
	}
}

func TestConfigDriveWithIsoinfo(t *testing.T) {
	isoinfo := testutil.RequireTool(t, "isoinfo")
	in := instA()
	var buf bytes.Buffer
	if err := in.ConfigDrive(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config.iso")
	os.WriteFile(p, buf.Bytes(), 0o600)
	out, err := exec.Command(isoinfo, "-d", "-i", p).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Volume id: config-2") {
		t.Fatalf("isoinfo -d: %v\n%s", err, out)
	}
	x := func(path string) string {
		out, err := exec.Command(isoinfo, "-i", p, "-J", "-x", path).Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	var md map[string]any
	if err := json.Unmarshal([]byte(x("/openstack/latest/meta_data.json")), &md); err != nil || md["uuid"] != uuidA {
		t.Fatalf("meta_data.json on the drive: %v %v", md, err)
	}
	if got := x("/openstack/latest/user_data"); got != string(in.UserData) {
		t.Fatalf("user_data on the drive: %q", got)
	}
	nd, _ := in.NetworkData()
	if got := x("/openstack/2015-10-15/network_data.json"); got != string(nd) {
		t.Fatalf("network_data.json: %q", got)
	}
	var ec2 map[string]any
	if err := json.Unmarshal([]byte(x("/ec2/latest/meta-data.json")), &ec2); err != nil || ec2["instance-id"] != "i-d8e02d56" {
		t.Fatalf("ec2 meta-data.json: %v %v", ec2, err)
	}
	if keys := ec2["public-keys"].(map[string]any)["0"].(map[string]any); keys["_name"] != nil || keys["openssh-key"] != "ssh-ed25519 AAAA k1" {
		t.Fatalf("ec2 public keys: %v", keys)
	}
	if x("/openstack/2012-08-10/vendor_data.json") != "" {
		t.Fatal("2012-08-10 has vendor_data.json")
	}
}

func FuzzHandler(f *testing.F) {
	for _, s := range []string{"/", "/openstack/latest/meta_data.json", "/latest/meta-data/public-keys/0/openssh-key", "/2009-04-04/meta-data/placement/", "/openstack//latest/"} {
		f.Add("GET", s)
	}
	h, _ := newHandler()
	f.Fuzz(func(t *testing.T, method, path string) {
		r, err := http.NewRequest(method, "http://169.254.169.254/", nil)
		if err != nil {
			return
		}
		r.URL.Path = path
		r = r.WithContext(WithServer(r.Context(), uuidA))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d", method, path, w.Code)
		}
		if strings.Contains(w.Body.String(), "secret") {
			t.Fatalf("%s %q leaked another server's data", method, path)
		}
	})
}
