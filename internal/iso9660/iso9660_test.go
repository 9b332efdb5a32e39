package iso9660

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

func configDriveFiles() []File {
	big := bytes.Repeat([]byte("#cloud-config\nruncmd: [echo hi]\n"), 3000) // > one sector, ~96 KiB
	return []File{
		{"openstack/latest/meta_data.json", []byte(`{"uuid": "d8e02d56-2648-49a3-bf97-6be8f1204f38"}`)},
		{"openstack/latest/user_data", big},
		{"openstack/latest/network_data.json", []byte(`{"links": [], "networks": [], "services": []}`)},
		{"openstack/latest/vendor_data.json", []byte(`{}`)},
		{"openstack/latest/vendor_data2.json", []byte(`{}`)},
		{"openstack/content/0000", nil},
		{"ec2/latest/meta-data.json", []byte(`{"instance-id": "i-00000001"}`)},
	}
}

func TestGoldenAgainstIsoinfo(t *testing.T) {
	isoinfo := testutil.RequireTool(t, "isoinfo")
	dir := t.TempDir()
	p := filepath.Join(dir, "cd.iso")
	var buf bytes.Buffer
	files := configDriveFiles()
	// Many files in one directory make it span several sectors.
	for i := 0; i < 60; i++ {
		files = append(files, File{fmt.Sprintf("many/file-with-a-rather-long-name-%02d.txt", i), []byte(fmt.Sprint(i))})
	}
	if err := Write(&buf, Options{VolumeID: "config-2", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, files); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		out, err := exec.Command(isoinfo, append([]string{"-i", p}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("isoinfo %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	d := run("-d")
	for _, want := range []string{"Volume id: config-2", "Joliet with UCS level 3 found", "Logical block size is: 2048",
		fmt.Sprintf("Volume size is: %d", buf.Len()/2048)} {
		if !strings.Contains(d, want) {
			t.Errorf("isoinfo -d lacks %q:\n%s", want, d)
		}
	}
	// Joliet: every file under its own name with its content.
	var want []string
	for _, f := range files {
		want = append(want, "/"+f.Path)
	}
	for _, dir := range []string{"/ec2", "/ec2/latest", "/openstack", "/openstack/latest", "/openstack/content", "/many"} {
		want = append(want, dir)
	}
	sort.Strings(want)
	got := strings.Fields(run("-J", "-f"))
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("joliet listing:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range files {
		if out := run("-J", "-x", "/"+f.Path); out != string(f.Data) {
			t.Errorf("%s: got %d bytes, want %d", f.Path, len(out), len(f.Data))
		}
	}
	// The primary tree lists the same files under level-2 names.
	pri := run("-f")
	for _, name := range []string{"/OPENSTACK/LATEST/META_DATA.JSON;1", "/OPENSTACK/LATEST/USER_DATA;1", "/EC2/LATEST/META-DATA.JSON;1"} {
		name = strings.ReplaceAll(name, "META-DATA", "META_DATA")
		if !strings.Contains(pri, name) {
			t.Errorf("primary listing lacks %s:\n%s", name, pri)
		}
	}
	if out := run("-x", "/OPENSTACK/LATEST/META_DATA.JSON;1"); out != string(files[0].Data) {
		t.Errorf("primary extract: %q", out)
	}
}

func TestPrimaryNamesUnique(t *testing.T) {
	var buf bytes.Buffer
	files := []File{{"a/Name.json", []byte("1")}, {"a/name.json", []byte("2")}, {"a/NAME.JSON", []byte("3")}}
	if err := Write(&buf, Options{VolumeID: "x"}, files); err != nil {
		t.Fatal(err)
	}
	root := &node{dir: true}
	for _, f := range files {
		add(root, f)
	}
	sortTree(root)
	seen := map[string]bool{}
	for _, c := range root.children[0].children {
		if seen[c.primary] {
			t.Fatalf("duplicate primary name %s", c.primary)
		}
		seen[c.primary] = true
	}
}

func TestRefusals(t *testing.T) {
	for _, files := range [][]File{
		{{"../x", nil}},
		{{"/abs", nil}},
		{{"a//b", nil}},
		{{"a b", nil}},
		{{"x", nil}, {"x", nil}},
		{{"x", nil}, {"x/y", nil}},
		{{strings.Repeat("n", 65), nil}},
		{{"a/b/c/d/e/f/g/h", nil}},
	} {
		if err := Write(&bytes.Buffer{}, Options{VolumeID: "v"}, files); err == nil {
			t.Errorf("%v accepted", files)
		}
	}
	if err := Write(&bytes.Buffer{}, Options{VolumeID: "seventeen-chars!!"}, nil); err == nil {
		t.Error("long volume id accepted")
	}
}
