package volume

import (
	"context"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// The storage backend as the admin sees it (os-services, os-hosts,
// scheduler-stats/get_pools, capabilities), read from this node: its
// scheduler and its one volume backend (the volume store), which are up
// while the node answers. Other nodes sharing the database are not listed:
// stratus keeps no heartbeats of them. The wire shapes are in
// backend_http.go.

const (
	vendorName      = "Open Source" // Cinder's reference drivers say so too
	storageProtocol = "file"
)

type service struct{ binary, host string }

func (s *Service) services() []service {
	return []service{{"cinder-scheduler", s.node}, {"cinder-volume", s.node + "@" + s.store.Kind()}}
}

// capacity is the volume store's size and free space in GiB, or
// "unknown" when the store cannot tell (the blob store).
func (s *Service) capacity() (total, free any) {
	if c, ok := s.store.(interface{ Capacity() (int64, int64, error) }); ok {
		if t, f, err := c.Capacity(); err == nil {
			return float64(t) / float64(GiB), float64(f) / float64(GiB)
		}
	}
	return "unknown", "unknown"
}

func hostPart(h string) string { host, _, _ := strings.Cut(h, "@"); return host }

// SetServiceStatus is an os-services action (enable, disable,
// disable-log-reason, freeze, thaw) on this node's services: the errors are
// Cinder's; the changes themselves are not implemented (501). reason is the
// disabled_reason (nil when absent or not a string).
func (s *Service) SetServiceStatus(ctx context.Context, action, host, binary string, reason *string) error {
	known := func(b string) bool {
		for _, sv := range s.services() {
			if sv.host == host && (b == "" || sv.binary == b) {
				return true
			}
		}
		return false
	}
	switch action {
	case "enable", "disable", "disable-log-reason":
		if action == "disable-log-reason" {
			if reason == nil || strings.TrimSpace(*reason) == "" || len(*reason) > 255 {
				return fault.Invalidf("Disabled reason contains invalid characters or is too long")
			}
		}
		if !known(binary) {
			return fault.NotFoundf("Could not find binary %s on host %s.", binary, host)
		}
	case "freeze", "thaw":
		if !known("") {
			return invalidInput("No service found with host=%s", host)
		}
	default:
		return fault.NotFoundf("Unknown action")
	}
	return fault.NotImplementedf("Changing the state of volume services is not implemented in stratus.")
}

// HostTotals counts volumes and snapshots, and their GiB.
type HostTotals struct{ Volumes, VolumeGB, Snapshots, SnapshotGB int64 }

// HostUsage is what the volumes and snapshots on host (this node, or one
// of its backends) hold: in all, and per project.
func (s *Service) HostUsage(ctx context.Context, host string) (HostTotals, map[string]*HostTotals, error) {
	if hostPart(host) != s.node {
		return HostTotals{}, nil, fault.NotFoundf("Host %s could not be found.", host)
	}
	per := map[string]*HostTotals{}
	all := &HostTotals{}
	err := s.scanTotals(ctx, func(project string, n, gb int64, snap bool) {
		if per[project] == nil {
			per[project] = &HostTotals{}
		}
		for _, t := range []*HostTotals{per[project], all} {
			if snap {
				t.Snapshots, t.SnapshotGB = t.Snapshots+n, t.SnapshotGB+gb
			} else {
				t.Volumes, t.VolumeGB = t.Volumes+n, t.VolumeGB+gb
			}
		}
	})
	if err != nil {
		return HostTotals{}, nil, err
	}
	return *all, per, nil
}

// scanTotals reports, per project, the count and GiB of volumes and of
// snapshots on this node.
func (s *Service) scanTotals(ctx context.Context, fn func(project string, n, gb int64, snap bool)) error {
	for _, q := range []struct {
		sql  string
		snap bool
	}{
		{"SELECT project_id, COUNT(*), COALESCE(SUM(size), 0) FROM volumes WHERE node = $1 GROUP BY project_id", false},
		{`SELECT s.project_id, COUNT(*), COALESCE(SUM(s.size), 0) FROM volume_snapshots s JOIN volumes v ON v.id = s.volume_id
			WHERE v.node = $1 GROUP BY s.project_id`, true},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql, s.node)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p string
			var n, gb int64
			if err := rows.Scan(&p, &n, &gb); err != nil {
				rows.Close()
				return err
			}
			fn(p, n, gb, q.snap)
		}
		rows.Close()
	}
	return nil
}
