package image

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
)

func BenchmarkListHTTP(b *testing.B) {
	t := &testing.T{}
	_ = t
	e := newEnvTB(b)
	ctx := context.Background()
	p := testPrincipals["alice"]
	for i := 0; i < 1000; i++ {
		name := fmt.Sprintf("img-%04d", i)
		df := "qcow2"
		if _, err := e.svc.CreateImage(ctx, p, Fields{Name: &name, DiskFormat: &df, Tags: []string{"bench"}, Properties: map[string]string{"os_distro": "debian"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "/image/v2/images?limit=25", nil)
		req.Header.Set("X-Auth-Token", "alice")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
