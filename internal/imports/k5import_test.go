package imports

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
)

const (
	loc     = `"/v1/AUTH_p1/disks/disk.vmdk"`
	rhel    = `"Red Hat Enterprise Linux 7"`
	imageID = "6bf65660-70ee-4a75-b61a-36ac040c289c"
)

// newSet and oldSet are valid bodies of seed 000 and seed 002, with
// fields replaced or removed by the cases below.
func newSet(kv ...string) []byte {
	return body2(map[string]string{"name": `"img"`, "location": loc, "os_type": rhel}, kv...)
}

func oldSet(kv ...string) []byte {
	return body2(map[string]string{"name": `"img"`, "location": loc, "os_type": `"centos"`, "id": `"` + imageID + `"`,
		"conversion": "true", "user_name": `"alice"`, "password": `"c2VjcmV0"`, "domain_name": `"Default"`}, kv...)
}

// body2 renders base with kv applied: "key", "value" sets, "key", "" removes.
func body2(base map[string]string, kv ...string) []byte {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(base, kv[i])
		} else {
			base[kv[i]] = kv[i+1]
		}
	}
	var parts []string
	for k, v := range base {
		parts = append(parts, `"`+k+`":`+v)
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

func TestParseImportRequest(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		code string
	}{
		{"new set ok", newSet(), ""},
		{"old set ok", oldSet(), ""},
		{"new set with id and extras", newSet("id", `"`+imageID+`"`, "checksum", `"`+strings.Repeat("aB", 20)+`"`, "min_ram", "512",
			"min_disk", "10", "property-hw_disk_bus", `"scsi"`, "property-n", "3"), ""},
		{"windows kms", newSet("os_type", `"Windows Server 2012 R2 SE"`, "kms", `{"server_info":"kms.example.com:1688","activate":true}`), ""},
		{"kms ignored for linux", newSet("kms", `"junk"`), ""},
		{"not json", []byte("name=x"), "40014"},
		{"empty", nil, "40014"},
		{"array", []byte("[]"), "40014"},
		{"no name", newSet("name", ""), "40001"},
		{"null name", newSet("name", "null"), "40001"},
		{"no location", newSet("location", ""), "40002"},
		{"old set no id", oldSet("id", ""), "40003"},
		{"old set no conversion", oldSet("conversion", ""), "40004"},
		{"no os_type", newSet("os_type", ""), "40005"},
		{"bad os_type", newSet("os_type", `"Plan 9"`), "40006"},
		{"old set no user_name", oldSet("user_name", ""), "40007"},
		{"old set no password", oldSet("password", ""), "40008"},
		{"old set no domain_name", oldSet("domain_name", ""), "40009"},
		{"empty user_name", oldSet("user_name", `""`), "40010"},
		{"location not a path", newSet("location", `"http://x/disk.vmdk"`), "40025"},
		{"location no object", newSet("location", `"/v1/AUTH_p1/disks"`), "40025"},
		{"location not vmdk", newSet("location", `"/v1/AUTH_p1/disks/disk.qcow2"`), "40025"},
		{"location number", newSet("location", "7"), "40025"},
		{"ovf_location bad", newSet("ovf_location", `"x.ovf"`), "40025"},
		{"conversion false", oldSet("conversion", "false"), "40026"},
		{"id not uuid", newSet("id", `"abc"`), "40027"},
		{"id without hyphens", oldSet("id", `"6bf6566070ee4a75b61a36ac040c289c"`), "40027"},
		{"name empty", newSet("name", `""`), "40028"},
		{"name number", newSet("name", "1"), "40028"},
		{"disk_format qcow2", newSet("disk_format", `"qcow2"`), "40029"},
		{"container_format ovf", newSet("container_format", `"ovf"`), "40030"},
		{"checksum md5", newSet("checksum", `"d41d8cd98f00b204e9800998ecf8427e"`), "40031"},
		{"min_ram negative", newSet("min_ram", "-1"), "40032"},
		{"min_ram string", newSet("min_ram", `"512"`), "40032"},
		{"min_disk fraction", newSet("min_disk", "1.5"), "40033"},
		{"kms empty", newSet("os_type", `"Windows Server 2012 SE"`, "kms", "{}"), "40034"},
		{"kms activate false", newSet("os_type", `"Windows Server 2012 SE"`, "kms", `{"activate":false}`), "40034"},
		{"kms bad server", newSet("os_type", `"Windows Server 2012 SE"`, "kms", `{"server_info":"no port"}`), "40034"},
		{"property object", newSet("property-x", `{"a":1}`), "40035"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseImportRequest(tc.body)
			if got := codeOf(err); got != tc.code || (tc.code == "" && err != nil) {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

func TestParsedFields(t *testing.T) {
	req, err := parseImportRequest(newSet("id", `"`+strings.ToUpper(imageID)+`"`, "property-a", `"b"`, "property-n", "3", "min_ram", "128"))
	if err != nil {
		t.Fatal(err)
	}
	if req.ImageID != imageID || req.Legacy || req.MinRAM != 128 || req.Properties["a"] != "b" || req.Properties["n"] != "3" ||
		req.Source != (objectRef{Account: "AUTH_p1", Container: "disks", Object: "disk.vmdk"}) {
		t.Fatalf("%+v", req)
	}
	old, err := parseImportRequest(oldSet())
	if err != nil || !old.Legacy || old.password != "c2VjcmV0" || old.UserName != "alice" {
		t.Fatalf("%+v %v", old, err)
	}
}

// TestImportEndToEnd: a streamOptimized VMDK object becomes an active
// raw image with the given id, name and properties; its bytes are the
// disk's.
func TestImportEndToEnd(t *testing.T) {
	fx := newFixture(t, true)
	disk := testDisk(3<<20 + 512)
	vmdk := toFormat(t, disk, "vmdk")
	fx.objs.put("AUTH_p1", "disks", "disk.vmdk", vmdk)
	sum := sha1.Sum(vmdk)
	ctx := context.Background()
	for _, body := range [][]byte{
		newSet("id", `"`+imageID+`"`, "checksum", `"`+hex.EncodeToString(sum[:])+`"`, "property-hw_disk_bus", `"scsi"`, "min_disk", "1"),
		oldSet("id", `"7bf65660-70ee-4a75-b61a-36ac040c289c"`),
	} {
		req, err := parseImportRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		id, err := fx.svc.RegisterImport(ctx, member, req)
		if err != nil {
			t.Fatal(err)
		}
		j := fx.wait(t, id)
		if j.State != job.Succeeded || j.Progress != 100 {
			t.Fatalf("job %s %q", j.State, j.Message)
		}
		im, err := fx.images.Image(ctx, member, req.ImageID)
		if err != nil {
			t.Fatal(err)
		}
		if im.Status != image.StatusActive || *im.DiskFormat != "raw" || *im.ContainerFormat != "bare" || *im.Name != "img" ||
			im.Properties["os_type"] != req.OSType || *im.VirtualSize != int64(len(disk)) {
			t.Fatalf("image %+v", im)
		}
		if !bytes.Equal(fx.imageBytes(t, req.ImageID), disk) {
			t.Fatal("image bytes differ from the disk")
		}
		st, err := fx.svc.ImportStatus(ctx, member, id)
		if err != nil || importToWire(st).ImportStatus != "succeeded" || importToWire(st).Password != "" {
			t.Fatalf("status %+v %v", st, err)
		}
	}
	im, _ := fx.images.Image(ctx, member, imageID)
	if im.Properties["hw_disk_bus"] != "scsi" || im.MinDisk != 1 {
		t.Fatalf("properties %v min_disk %d", im.Properties, im.MinDisk)
	}
	list, err := fx.svc.ListImports(ctx, member, 0, 100)
	if err != nil || len(list) != 2 || list[0].ResourceID != "7bf65660-70ee-4a75-b61a-36ac040c289c" {
		t.Fatalf("list %v", err)
	}
	if l, _ := fx.svc.ListImports(ctx, other, 0, 100); len(l) != 0 {
		t.Fatal("another project sees the imports")
	}
	if _, err := fx.svc.ImportStatus(ctx, other, list[0].ID); codeOf(err) != "40401" {
		t.Fatalf("other project status: %v", err)
	}
}

// TestImportFailures: a wrong SHA1, a missing or unreadable object and an
// unsafe image fail the job with a message and leave no image.
func TestImportFailures(t *testing.T) {
	fx := newFixture(t, true)
	disk := testDisk(1 << 20)
	fx.objs.put("AUTH_p1", "disks", "disk.vmdk", toFormat(t, disk, "vmdk"))
	fx.objs.put("AUTH_p1", "disks", "raw.vmdk", disk)
	fx.objs.deny["AUTH_p9"] = true
	ctx := context.Background()
	tests := []struct {
		body []byte
		msg  string
	}{
		{newSet("checksum", `"`+strings.Repeat("0", 40)+`"`), "does not match the specified checksum"},
		{newSet("location", `"/v1/AUTH_p1/disks/none.vmdk"`), "/v1/AUTH_p1/disks/none.vmdk is not found"},
		{newSet("location", `"/v1/AUTH_p9/disks/disk.vmdk"`), "cannot be read"},
		{newSet("location", `"/v1/AUTH_p1/disks/raw.vmdk"`), "vmdk"},
	}
	for _, tc := range tests {
		req, err := parseImportRequest(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		id, err := fx.svc.RegisterImport(ctx, member, req)
		if err != nil {
			t.Fatal(err)
		}
		j := fx.wait(t, id)
		if j.State != job.Failed || !strings.Contains(j.Message, tc.msg) {
			t.Errorf("%s: job %s %q, want failed with %q", req.Location, j.State, j.Message, tc.msg)
		}
		if _, err := fx.images.Image(ctx, member, req.ImageID); fault.KindOf(err) != fault.NotFound {
			t.Errorf("%s: an image is left behind (%v)", req.Location, err)
		}
		st, _ := fx.svc.ImportStatus(ctx, member, id)
		if w := importToWire(st); w.ImportStatus != "failed" || w.Message == nil || *w.Message != j.Message {
			t.Errorf("status %+v", w)
		}
	}
}

// TestRegisterErrors: the errors found at submission.
func TestRegisterErrors(t *testing.T) {
	fx := newFixture(t, false, func(o *Options) { o.MaxActive = 2; o.SizeCap = 1 << 20 })
	fx.objs.put("AUTH_p1", "disks", "big.vmdk", make([]byte, 2<<20))
	ctx := context.Background()
	cases := []struct {
		name string
		who  string
		body []byte
		code string
	}{
		{"reader", "reader", newSet(), "40301"},
		{"no project", "noproject", newSet(), "40011"},
		{"wrong password", "member", oldSet("password", `"d3Jvbmc="`), "40010"},
		{"password not base64", "member", oldSet("password", `"***"`), "40010"},
		{"another user's credentials", "member", oldSet("user_name", `"carol"`, "password", `"cHcz"`), "40010"},
		{"too large", "member", newSet("location", `"/v1/AUTH_p1/disks/big.vmdk"`), "40037"},
		{"first", "member", newSet("id", `"`+imageID+`"`), ""},
		{"duplicate id", "member", newSet("id", `"`+imageID+`"`), "40027"},
		{"second", "member", newSet(), ""},
		{"third is too many", "member", newSet(), "50301"},
	}
	for _, tc := range cases {
		pr := member
		switch tc.who {
		case "reader":
			pr = reader
		case "noproject":
			c := *member
			c.ProjectID = ""
			pr = &c
		}
		req, err := parseImportRequest(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.RegisterImport(ctx, pr, req)
		if codeOf(err) != tc.code || (tc.code == "" && err != nil) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.code)
		}
	}
	// The queued imports' images exist, in importing.
	if im, err := fx.images.Image(ctx, member, imageID); err != nil || im.Status != image.StatusImporting {
		t.Fatalf("reserved image %v %v", im, err)
	}
}
