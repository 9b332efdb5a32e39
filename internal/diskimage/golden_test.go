package diskimage

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// qemuImg runs qemu-img and fails the test on error.
func qemuImg(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-img %v: %v\n%s", args, err, out)
	}
	return out
}

type qemuInfo struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ClusterSize int64  `json:"cluster-size"`
}

func qemuInfoOf(t *testing.T, bin, path, format string) qemuInfo {
	t.Helper()
	args := []string{"info", "--output=json"}
	if format != "" {
		args = append(args, "-f", format)
	}
	var qi qemuInfo
	if err := json.Unmarshal(qemuImg(t, bin, append(args, path)...), &qi); err != nil {
		t.Fatal(err)
	}
	return qi
}

// qemuFormat maps qemu's driver names to ours.
func qemuFormat(s string) Format {
	if s == "vpc" {
		return FormatVHD
	}
	return Format(s)
}

// TestGoldenQemuImg builds one image per format with qemu-img and checks
// that detection, virtual size and cluster size agree with `qemu-img info`.
func TestGoldenQemuImg(t *testing.T) {
	bin := testutil.RequireTool(t, "qemu-img")
	dir := t.TempDir()

	// A raw source with some data, for the formats made by conversion.
	src := filepath.Join(dir, "src.raw")
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(src, 16<<20); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name      string
		args      []string // qemu-img arguments; OUT is replaced by the image path
		infoFmt   string   // -f for qemu-img info ("" = probe)
		want      Format
		subformat string
		refused   bool
	}{
		{"raw", []string{"create", "-f", "raw", "OUT", "32M"}, "", FormatRaw, "", false},
		{"qcow2-v2", []string{"create", "-f", "qcow2", "-o", "compat=0.10", "OUT", "64M"}, "", FormatQCOW2, "v2", false},
		{"qcow2-v3", []string{"create", "-f", "qcow2", "-o", "compat=1.1", "OUT", "1G"}, "", FormatQCOW2, "v3", false},
		{"qcow2-v3-data", []string{"convert", "-O", "qcow2", "-o", "cluster_size=4096", src, "OUT"}, "", FormatQCOW2, "v3", false},
		{"qcow2-zstd", []string{"create", "-f", "qcow2", "-o", "compression_type=zstd", "OUT", "2G"}, "", FormatQCOW2, "v3", false},
		{"qcow2-2m-cluster", []string{"create", "-f", "qcow2", "-o", "cluster_size=2M", "OUT", "10G"}, "", FormatQCOW2, "v3", false},
		{"vmdk-monolithicSparse", []string{"create", "-f", "vmdk", "OUT", "64M"}, "", FormatVMDK, "monolithicSparse", false},
		{"vmdk-streamOptimized", []string{"convert", "-O", "vmdk", "-o", "subformat=streamOptimized", src, "OUT"}, "", FormatVMDK, "streamOptimized", false},
		{"vhd-dynamic", []string{"create", "-f", "vpc", "-o", "subformat=dynamic", "OUT", "64M"}, "", FormatVHD, "dynamic", false},
		{"vhd-dynamic-data", []string{"convert", "-O", "vpc", src, "OUT"}, "", FormatVHD, "dynamic", false},
		{"vhd-fixed", []string{"create", "-f", "vpc", "-o", "subformat=fixed", "OUT", "16M"}, "vpc", FormatVHD, "fixed", false},
		{"vhd-force-size", []string{"create", "-f", "vpc", "-o", "force_size=on", "OUT", "100M"}, "", FormatVHD, "dynamic", false},
		{"vhdx", []string{"create", "-f", "vhdx", "OUT", "64M"}, "", FormatVHDX, "", false},
		{"vhdx-data", []string{"convert", "-O", "vhdx", src, "OUT"}, "", FormatVHDX, "", false},
		{"vdi", []string{"create", "-f", "vdi", "OUT", "64M"}, "", FormatVDI, "dynamic", false},
		{"vdi-static", []string{"create", "-f", "vdi", "-o", "static=on", "OUT", "8M"}, "", FormatVDI, "fixed", false},
		{"qed", []string{"create", "-f", "qed", "OUT", "64M"}, "", FormatQED, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "OUT" {
					args[i] = out
				}
			}
			qemuImg(t, bin, append(args[:1:1], append([]string{"-q"}, args[1:]...)...)...)
			qi := qemuInfoOf(t, bin, out, tc.infoFmt)

			info, err := InspectFile(out, "")
			if tc.refused != (err != nil) {
				t.Fatalf("InspectFile error = %v, want refused=%v (info %+v)", err, tc.refused, info)
			}
			if info == nil {
				t.Fatal("no Info returned")
			}
			if info.Format != tc.want || qemuFormat(qi.Format) != tc.want {
				t.Errorf("format: ours %q, qemu %q, want %q", info.Format, qi.Format, tc.want)
			}
			if info.VirtualSize != qi.VirtualSize {
				t.Errorf("virtual size: ours %d, qemu %d", info.VirtualSize, qi.VirtualSize)
			}
			if qi.ClusterSize != 0 && info.ClusterSize != qi.ClusterSize {
				t.Errorf("cluster size: ours %d, qemu %d", info.ClusterSize, qi.ClusterSize)
			}
			if want, ok := map[string]string{"qcow2-v2": "zlib", "qcow2-v3": "zlib", "qcow2-zstd": "zstd",
				"vmdk-monolithicSparse": "", "vmdk-streamOptimized": "deflate"}[tc.name]; ok && info.Compression != want {
				t.Errorf("compression %q, want %q", info.Compression, want)
			}
			if info.Subformat != tc.subformat {
				t.Errorf("subformat %q, want %q", info.Subformat, tc.subformat)
			}
			fi, _ := os.Stat(out)
			if info.ActualSize != fi.Size() {
				t.Errorf("actual size %d, want %d", info.ActualSize, fi.Size())
			}
			if !tc.refused && (!info.Safe || hasRefusal(info)) {
				t.Errorf("not safe: %+v", info.Findings)
			}
			if !tc.refused {
				// The same verdict must come from the declared format and
				// from the streaming entry point with head and tail.
				if _, err := InspectFile(out, tc.want); err != nil {
					t.Errorf("declared %s: %v", tc.want, err)
				}
				checkStreamingAgrees(t, out, info)
			}
		})
	}
}

func hasRefusal(info *Info) bool {
	for _, f := range info.Findings {
		if f.Severity == SeverityRefuse {
			return true
		}
	}
	return false
}

// checkStreamingAgrees feeds FullPrefixSize of head and TailSize of tail to
// InspectHeadTail and expects the same format and size as Inspect.
func checkStreamingAgrees(t *testing.T, path string, want *Info) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head := b[:min(len(b), FullPrefixSize)]
	tail := b[len(b)-min(len(b), TailSize):]
	got, err := InspectHeadTail(head, tail, int64(len(b)), "")
	if err != nil {
		t.Fatalf("InspectHeadTail: %v", err)
	}
	if got.Format != want.Format || got.VirtualSize != want.VirtualSize || got.Subformat != want.Subformat {
		t.Errorf("streaming: %s/%s/%d, file: %s/%s/%d", got.Format, got.Subformat, got.VirtualSize,
			want.Format, want.Subformat, want.VirtualSize)
	}
}
