// Package network is the networking service: a Neutron v2.0 API
// (networks, subnets, ports, security groups and rules, routers, floating
// IPs, quotas, extensions) whose resources are records — no packet moves —
// and the Go API the compute service uses to give servers their ports.
//
// # Go API for the compute service
//
//	ports, err := nets.BindPorts(ctx, p, serverID, host, reqs, groups) // at server create
//	ports, err := nets.ServerPorts(ctx, serverID)                     // server views
//	byServer, err := nets.PortsOfServers(ctx, ids)                    // server lists
//	port, err := nets.AttachPort(ctx, p, serverID, host, req)         // os-interface
//	err = nets.DetachPort(ctx, p, serverID, portID)
//	err = nets.UnbindPorts(ctx, p, serverID)                          // at server delete
//
// Errors are *fault.Error with Nova's messages, wrapping the sentinels of
// errors.go (errors.Is(err, network.ErrPortInUse)). Security groups have a
// Go API too (ListSecurityGroups, CreateSecurityGroup, ...), for Nova's
// os-security-groups proxy.
package network

import (
	"context"
	"database/sql"
	"log/slog"

	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// DefaultMTU is the MTU of new networks.
const DefaultMTU = 1500

// Options configure the service.
type Options struct {
	DB  *store.DB
	Log *slog.Logger
	// MTU of new networks; 0 is DefaultMTU.
	MTU int
	// Quotas overrides the default per-project quotas by resource name
	// ("network", "port", ...).
	Quotas map[string]int64
}

// Service is the networking service.
type Service struct {
	db     *store.DB
	r      store.Querier
	log    *slog.Logger
	mtu    int
	quotas map[string]int64
}

// New returns the service.
func New(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{db: opts.DB, r: opts.DB.R(), log: opts.Log, mtu: opts.MTU, quotas: map[string]int64{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.mtu <= 0 {
		s.mtu = DefaultMTU
	}
	for k, v := range defaultQuotas {
		s.quotas[k] = v
	}
	for k, v := range opts.Quotas {
		s.quotas[k] = v
	}
	if err := s.backfillPortCache(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// backfillPortCache fills the fixed IP and group copies of ports made
// before migration 0041 added them; afterwards it finds nothing to do.
func (s *Service) backfillPortCache(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT p.id FROM ports p JOIN ip_allocations a ON a.port_id = p.id
		WHERE p.fixed_ips IN ('[]', '') UNION SELECT DISTINCT p.id FROM ports p JOIN port_security_groups g ON g.port_id = p.id
		WHERE p.security_group_ids IN ('[]', '')`)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if err := syncPortCache(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// scope is whose resources a query sees: one project's (and what is
// shared with every project), or, for admins, all.
type scope struct {
	project string
	admin   bool
}

func scopeOf(p *policy.Principal) scope {
	if p == nil {
		return scope{project: "\x00"} // sees nothing of its own
	}
	return scope{project: p.ProjectID, admin: p.IsAdmin()}
}

// owns reports whether the scope may change a resource of project.
func (sc scope) owns(project string) bool {
	return sc.admin || (sc.project != "" && sc.project == project)
}
