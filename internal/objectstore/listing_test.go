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
	// Delimiter listing over the same rows is 7 subdirs, also 3 at a time.
	if _, b := e.must(200, "GET", acctA+"/big?delimiter=/", "tok-a", ""); strings.Count(b, "\n") != 7 {
		t.Fatalf("subdirs %q", b)
	}
	var dirs []string
	for marker := ""; len(dirs) < 10; {
		_, b := e.do("GET", acctA+"/big?delimiter=/&limit=3&marker="+url.QueryEscape(marker), "tok-a", "")
		if b == "" {
			break
		}
		page := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
		dirs = append(dirs, page...)
		marker = page[len(page)-1]
	}
	if strings.Join(dirs, " ") != "dir0/ dir1/ dir2/ dir3/ dir4/ dir5/ dir6/" {
		t.Fatalf("paged subdirs %q", dirs)
	}
	// Prefix and delimiter, paged: every name under dir3/ exactly once.
	var want []string
	for _, n := range names {
		if strings.HasPrefix(n, "dir3/") {
			want = append(want, n)
		}
	}
	got = nil
	for marker, pages := "", 0; ; pages++ {
		_, b := e.do("GET", acctA+"/big?prefix=dir3/&delimiter=/&limit=10000&marker="+url.QueryEscape(marker), "tok-a", "")
		if b == "" || pages > 3 {
			break
		}
		page := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
		got = append(got, page...)
		marker = page[len(page)-1]
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("prefix+delimiter paging: %d names, want %d", len(got), len(want))
	}
}

// TestDelimiterListing covers the name right after a subdir's jump point:
// "a0" sorts straight after every "a/..." name and must not be skipped.
func TestDelimiterListing(t *testing.T) {
	e := newEnv(t)
	seedObjects(t, e.svc, "AUTH_pa", "d", []string{"a/1", "a/2/x", "a0", "a1", "b", "b/", "c/d/e", "c/d0", "c0", "p/q/", "p/q/r", "p/s"})
	seedObjects(t, e.svc, "AUTH_pa", "e", []string{"a::b::c", "a::d", "a:b", "b\u00e9"})
	for _, c := range []string{"x-1", "x-2", "x.", "x.y", "y"} {
		e.must(201, "PUT", acctA+"/"+c, "tok-a", "")
	}
	cases := []struct{ path, want string }{
		{"/d?delimiter=/", "a/\na0\na1\nb\nb/\nc/\nc0\np/\n"},
		{"/d?delimiter=/&reverse=true", "p/\nc0\nc/\nb/\nb\na1\na0\na/\n"},
		{"/d?path=p", "p/q/\np/s\n"},
		{"/d?delimiter=/&limit=2", "a/\na0\n"},
		{"/d?delimiter=/&marker=a/", "a0\na1\nb\nb/\nc/\nc0\np/\n"},
		{"/d?prefix=c/&delimiter=/", "c/d/\nc/d0\n"},
		{"/d?prefix=c/&delimiter=/&reverse=true", "c/d0\nc/d/\n"},
		{"?delimiter=-", "d\ne\nx-\nx.\nx.y\ny\n"},
		{"?delimiter=-&prefix=x", "x-\nx.\nx.y\n"},
		{"?prefix=x&end_marker=x.y", "x-1\nx-2\nx.\n"},
		{"?delimiter=-&reverse=true", "y\nx.y\nx.\nx-\ne\nd\n"},
		// Multi-byte delimiters (Swift 2.23+): up to and including the
		// first occurrence after the prefix.
		{"/e?delimiter=::", "a::\na:b\nb\u00e9\n"},
		{"/e?delimiter=\u00e9", "a::b::c\na::d\na:b\nb\u00e9\n"},
		{"/e?prefix=a::&delimiter=::", "a::b::\na::d\n"},
		{"/e?delimiter=::&reverse=true", "b\u00e9\na:b\na::\n"},
	}
	for _, c := range cases {
		if _, b := e.must(200, "GET", acctA+c.path, "tok-a", ""); b != c.want {
			t.Errorf("%s: %q want %q", c.path, b, c.want)
		}
	}
	if _, b := e.must(400, "GET", acctA+"/e?delimiter=%FF", "tok-a", ""); b != `"delimiter" parameter not valid UTF-8` {
		t.Errorf("invalid delimiter: %q", b)
	}
}

func TestAfterPrefix(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a/", "a0"},
		{"a\u00e9", "a\u00ea"},
		{"a\u007f", "a\u0080"},
		{"a\ud7ff", "a\ue000"},
		{"a\U0010FFFF", "b"},
		{"x::", "x:;"},
	} {
		if got := afterPrefix(c.in); got != c.want {
			t.Errorf("afterPrefix(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
