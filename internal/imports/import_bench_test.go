package imports

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/job"
)

// BenchmarkK5Import measures an import job end to end in process (object
// in memory, image blob on disk) against convert.Convert of the same bytes
// with the same sums and fsync: the job engine's and publishing's cost.
//
//	go test -run - -bench K5Import -benchtime 3x ./internal/imports
func BenchmarkK5Import(b *testing.B) {
	disk := testDisk(96 << 20)
	vmdk := toFormat(b, disk, "vmdk")
	sum := sha1.Sum(vmdk)
	b.Run("job", func(b *testing.B) {
		fx := newFixture(b, true)
		fx.objs.put("AUTH_p1", "disks", "disk.vmdk", vmdk)
		b.SetBytes(int64(len(disk)))
		for i := 0; i < b.N; i++ {
			req, err := parseImportRequest(newSet("checksum", `"`+hex.EncodeToString(sum[:])+`"`))
			if err != nil {
				b.Fatal(err)
			}
			id, err := fx.svc.RegisterImport(context.Background(), member, req)
			if err != nil {
				b.Fatal(err)
			}
			j, err := fx.jobs.Wait(context.Background(), id)
			if err != nil || j.State != job.Succeeded {
				b.Fatalf("%v %v", j, err)
			}
		}
	})
	b.Run("convert", func(b *testing.B) {
		b.SetBytes(int64(len(disk)))
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			f, _ := os.Create(filepath.Join(dir, "out"))
			_, err := convert.Convert(context.Background(), convert.Source{ReaderAt: bytes.NewReader(vmdk), Size: int64(len(vmdk))}, f,
				convert.Options{SrcFormat: "vmdk", DstFormat: "raw", SrcHashes: []string{"sha1"}, OutHashes: []string{"md5", "sha512"}, Sync: true})
			f.Sync()
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
