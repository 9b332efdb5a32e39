package blob_test

import (
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
)

func TestFSConformance(t *testing.T) {
	blobtest.Conformance(t, func(t *testing.T) blob.Store {
		s, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, 3<<20)
}

func TestGroupConformance(t *testing.T) {
	blobtest.Conformance(t, func(t *testing.T) blob.Store {
		s, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return blob.NewGroup(s)
	}, 3<<20)
}
