package network

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

var (
	alice = &policy.Principal{UserID: "ua", ProjectID: "pa", Roles: []string{"member"}}
	bob   = &policy.Principal{UserID: "ub", ProjectID: "pb", Roles: []string{"member"}}
	admin = &policy.Principal{UserID: "u0", ProjectID: "p0", Roles: []string{"admin"}, IsAdminProject: true}
)

func newTestService(t testing.TB) *Service {
	t.Helper()
	s, err := New(context.Background(), Options{DB: storetest.Open(t)})
	if err != nil {
		t.Fatal(err)
	}
	if tt, ok := t.(*testing.T); ok {
		tt.Cleanup(func() { checkPortCaches(tt, s) })
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// mkNet makes a network with one IPv4 subnet of cidr ("" for none).
func mkNet(t testing.TB, s *Service, p *policy.Principal, name, cidr string, f ...func(*NetworkFields)) (*Network, *Subnet) {
	t.Helper()
	ctx := context.Background()
	nf := NetworkFields{Name: &name}
	for _, fn := range f {
		fn(&nf)
	}
	n, err := s.CreateNetwork(ctx, p, nf)
	if err != nil {
		t.Fatalf("create network %s: %v", name, err)
	}
	if cidr == "" {
		return n, nil
	}
	pfx := netip.MustParsePrefix(cidr)
	ver := 4
	if pfx.Addr().Is6() {
		ver = 6
	}
	sn, err := s.CreateSubnet(ctx, p, SubnetFields{NetworkID: n.ID, IPVersion: ver, CIDR: pfx, Name: ptr(name + "-sub")})
	if err != nil {
		t.Fatalf("create subnet %s: %v", cidr, err)
	}
	return n, sn
}

// wantErr checks err wraps sentinel (when not nil), has status and, when
// msg is not empty, exactly that message.
func wantErr(t testing.TB, err error, sentinel error, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %d %q", status, msg)
	}
	fe := fault.As(err)
	if fe == nil {
		t.Fatalf("error %v is not a fault", err)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	if fe.HTTPStatus() != status {
		t.Fatalf("status %d (%s), want %d", fe.HTTPStatus(), fe.Message, status)
	}
	if msg != "" && fe.Message != msg {
		t.Fatalf("message %q, want %q", fe.Message, msg)
	}
}

// checkPortCaches fails when a port's copy of its addresses or groups
// (migration 0041) differs from ip_allocations / port_security_groups.
func checkPortCaches(t testing.TB, s *Service) {
	t.Helper()
	ctx := context.Background()
	rows, err := s.r.QueryContext(ctx, "SELECT id, fixed_ips, security_group_ids FROM ports")
	if err != nil {
		t.Fatal(err)
	}
	type cached struct{ ips, groups string }
	got := map[string]cached{}
	for rows.Next() {
		var id string
		var c cached
		if err := rows.Scan(&id, &c.ips, &c.groups); err != nil {
			t.Fatal(err)
		}
		got[id] = c
	}
	rows.Close()
	for id, c := range got {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error { return syncPortCache(ctx, tx, id) })
		if err != nil {
			t.Fatal(err)
		}
		var ips, groups string
		if err := s.r.QueryRowContext(ctx, "SELECT fixed_ips, security_group_ids FROM ports WHERE id = $1", id).Scan(&ips, &groups); err != nil {
			t.Fatal(err)
		}
		if ips != c.ips || groups != c.groups {
			t.Fatalf("port %s cache %s %s, tables say %s %s", id, c.ips, c.groups, ips, groups)
		}
	}
}
