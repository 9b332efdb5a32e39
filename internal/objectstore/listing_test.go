package objectstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// seedObjects inserts n rows straight through the store layer in one
// transaction (no blobs: listings never read them).
func seedObjects(t testing.TB, s *Service, account, container string, names []string) {
	t.Helper()
	ctx := context.Background()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := nowMicro()
		if err := ensureAccount(ctx, tx, account, now); err != nil {
			return err
		}
		if err := insertContainer(ctx, tx, &Container{Account: account, Name: container, CreatedAt: now}); err != nil {
			return err
		}
		for i, n := range names {
			o := &Object{Account: account, Container: container, Name: n, BlobKey: "none/" + fmt.Sprint(i), Size: 1,
				ETag: "d41d8cd98f00b204e9800998ecf8427e", ContentType: "application/octet-stream", LastModified: now}
			if err := insertObjectRow(ctx, tx, o); err != nil {
				return err
			}
		}
		return bumpContainer(ctx, tx, account, container, int64(len(names)), int64(len(names)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListing100k(t *testing.T) {
	e := newEnv(t)
	const n = 100000
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("dir%d/obj-%07d", i%7, rand.IntN(1<<30)) + fmt.Sprintf("-%d", i)
		if i%1000 == 0 {
			names[i] += "-ünï"
		}
	}
	seedObjects(t, e.svc, "AUTH_pa", "big", names)
	sort.Strings(names) // byte order, as Swift lists
	var got []string
	marker := ""
	for pages := 0; ; pages++ {
		_, b := e.do("GET", acctA+"/big?limit=10000&marker="+url.QueryEscape(marker), "tok-a", "")
		if b == "" {
			break
		}
		page := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
		got = append(got, page...)
		marker = page[len(page)-1]
		if pages > 20 {
			t.Fatal("too many pages")
		}
	}
	if len(got) != n {
		t.Fatalf("listed %d names, want %d", len(got), n)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("name %d: %q want %q", i, got[i], names[i])
		}
	}
	// Delimiter listing over the same rows is 7 subdirs.
	if _, b := e.must(200, "GET", acctA+"/big?delimiter=/", "tok-a", ""); strings.Count(b, "\n") != 7 {
		t.Fatalf("subdirs %q", b)
	}
}
