package compute

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"runtime"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/store"
)

// The admin's view of the compute hosts: os-hypervisors, os-services and
// os-hosts. Each configured host is one hypervisor and one nova-compute
// service; the node itself runs nova-scheduler and nova-conductor. The wire
// shapes (and the microversion choices in them) are in hosts_http.go.

// hostUUID is a stable id of a host (or service) for 2.53's uuid ids.
func hostUUID(kind, name string) string {
	return uuid.NewHash(sha1.New(), uuid.NameSpaceOID, []byte("stratus/"+kind+"/"+name), 5).String()
}

// ComputeService is one nova service and its stored state.
type ComputeService struct {
	ID             int // position in Services, the id before 2.53
	Host, Binary   string
	Zone           string
	Disabled       bool
	DisabledReason *string
	ForcedDown     bool
	UpdatedAt      time.Time
}

// UUID is the service's id from 2.53 on.
func (v ComputeService) UUID() string { return hostUUID("service", v.Host+"/"+v.Binary) }

// Services are the nova services, with their stored state.
func (s *Service) Services(ctx context.Context) ([]ComputeService, error) {
	var out []ComputeService
	out = append(out, ComputeService{Host: "stratus", Binary: "nova-scheduler", Zone: "internal"},
		ComputeService{Host: "stratus", Binary: "nova-conductor", Zone: "internal"})
	for _, h := range s.hosts {
		out = append(out, ComputeService{Host: h.Name, Binary: "nova-compute", Zone: s.hostZone(ctx, h)})
	}
	rows, err := s.r.QueryContext(ctx, `SELECT host, binary_name, disabled, disabled_reason, forced_down, updated_at FROM compute_services`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type st struct {
		disabled, forced bool
		reason           *string
		updated          int64
	}
	saved := map[string]st{}
	for rows.Next() {
		var host, bin string
		var v st
		if err := rows.Scan(&host, &bin, &v.disabled, &v.reason, &v.forced, &v.updated); err != nil {
			return nil, err
		}
		saved[host+"/"+bin] = v
	}
	now := time.Now().UTC()
	for i := range out {
		out[i].ID, out[i].UpdatedAt = i+1, now
		if v, ok := saved[out[i].Host+"/"+out[i].Binary]; ok {
			out[i].Disabled, out[i].DisabledReason, out[i].ForcedDown = v.disabled, v.reason, v.forced
		}
	}
	return out, rows.Err()
}

// ServiceByUUID finds a service by its 2.53 uuid.
func (s *Service) ServiceByUUID(ctx context.Context, id string) (ComputeService, error) {
	svcs, err := s.Services(ctx)
	if err != nil {
		return ComputeService{}, err
	}
	var found *ComputeService
	for i := range svcs {
		if svcs[i].UUID() == id {
			found = &svcs[i]
		}
	}
	if found == nil {
		return ComputeService{}, fault.NotFoundf("Service %s could not be found.", id)
	}
	return *found, nil
}

// ServiceByName finds a service by host and binary (before 2.53).
func (s *Service) ServiceByName(ctx context.Context, host, binary string) (ComputeService, error) {
	svcs, err := s.Services(ctx)
	if err != nil {
		return ComputeService{}, err
	}
	var found *ComputeService
	for i := range svcs {
		if svcs[i].Host == host && svcs[i].Binary == binary {
			found = &svcs[i]
		}
	}
	if found == nil {
		return ComputeService{}, fault.NotFoundf("Service %s on host %s not found.", binary, host)
	}
	return *found, nil
}

// ServiceUpdate is a change of a service's state; nil fields are left.
type ServiceUpdate struct {
	Disabled    *bool
	ClearReason bool    // drop the disabled_reason (before Reason applies)
	Reason      *string // the new disabled_reason
	ForcedDown  *bool
}

// SetService applies u to the service v (as found by ServiceByUUID or
// ServiceByName), stores it and returns it.
func (s *Service) SetService(ctx context.Context, v ComputeService, u ServiceUpdate) (ComputeService, error) {
	if u.Disabled != nil {
		v.Disabled = *u.Disabled
	}
	if u.ClearReason {
		v.DisabledReason = nil
	}
	if u.Reason != nil {
		v.DisabledReason = u.Reason
	}
	if u.ForcedDown != nil {
		v.ForcedDown = *u.ForcedDown
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO compute_services (host, binary_name, disabled, disabled_reason, forced_down, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (host, binary_name) DO UPDATE SET disabled = excluded.disabled,
			disabled_reason = excluded.disabled_reason, forced_down = excluded.forced_down, updated_at = excluded.updated_at`,
			v.Host, v.Binary, v.Disabled, v.DisabledReason, v.ForcedDown, store.Now())
		return err
	})
	return v, err
}

// hostInfo is the driver's description of a host, or the machine's.
func (s *Service) hostInfo(ctx context.Context) hypervisor.HostInfo {
	if d, ok := s.driver.(hypervisor.Describer); ok {
		if hi, err := d.HostInfo(ctx); err == nil {
			return hi
		}
	}
	return hypervisor.HostInfo{Type: "fake", Version: 1000, VCPUs: runtime.NumCPU(), MemoryMB: 8192, DiskGB: 1000}
}

// Hypervisor is a configured host as os-hypervisors shows it: its size,
// what its servers use, and whether its nova-compute is disabled or
// forced down.
type Hypervisor struct {
	Index    int // 1-based, the id before 2.53
	Host     Host
	Info     hypervisor.HostInfo
	Disabled bool

	VCPUsUsed, MemoryMBUsed, DiskGBUsed, RunningVMs int64
}

// UUID is the hypervisor's id from 2.53 on.
func (h Hypervisor) UUID() string { return hostUUID("hypervisor", h.Host.Name) }

// Hypervisors are the configured hosts with their use.
func (s *Service) Hypervisors(ctx context.Context) ([]Hypervisor, error) {
	use, err := s.usage(ctx, s.r)
	if err != nil {
		return nil, err
	}
	disabled, err := disabledHosts(ctx, s.r)
	if err != nil {
		return nil, err
	}
	info := s.hostInfo(ctx)
	var out []Hypervisor
	for i, h := range s.hosts {
		u := use[h.Name]
		if u == nil {
			u = &hostUse{}
		}
		hi := info
		if h.VCPUs > 0 {
			hi.VCPUs = int(h.VCPUs)
		}
		if h.MemoryMB > 0 {
			hi.MemoryMB = h.MemoryMB
		}
		if h.DiskGB > 0 {
			hi.DiskGB = h.DiskGB
		}
		out = append(out, Hypervisor{Index: i + 1, Host: h, Info: hi, Disabled: disabled[h.Name],
			VCPUsUsed: u.vcpus, MemoryMBUsed: u.ram, DiskGBUsed: u.disk, RunningVMs: u.count})
	}
	return out, nil
}

// HostServer is a live server on a host.
type HostServer struct {
	ID  string
	Seq int64 // the instance name's number
}

// HostServers are the live servers on a host, in creation order.
func (s *Service) HostServers(ctx context.Context, host string) ([]HostServer, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, seq FROM compute_servers WHERE host = $1 AND deleted_at = 0 ORDER BY seq`, host)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HostServer
	for rows.Next() {
		var hs HostServer
		if err := rows.Scan(&hs.ID, &hs.Seq); err != nil {
			return nil, err
		}
		out = append(out, hs)
	}
	return out, rows.Err()
}

// ProjectUse is what one project's live servers on a host take.
type ProjectUse struct {
	Project                 string
	VCPUs, MemoryMB, DiskGB int64
}

// HostProjectUse is the use of a host per project, by project id.
func (s *Service) HostProjectUse(ctx context.Context, host string) ([]ProjectUse, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT project_id, SUM(vcpus), SUM(memory_mb), SUM(root_gb) FROM compute_servers
		WHERE host = $1 AND deleted_at = 0 GROUP BY project_id ORDER BY project_id`, host)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ProjectUse
	for rows.Next() {
		var u ProjectUse
		if err := rows.Scan(&u.Project, &u.VCPUs, &u.MemoryMB, &u.DiskGB); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func hostNotFound(name string) *fault.Error {
	return fault.NotFoundf("Compute host %s could not be found.", name)
}

// HostUsage is os-hosts' view of a host: its hypervisor and the use of it
// per project.
func (s *Service) HostUsage(ctx context.Context, name string) (Hypervisor, []ProjectUse, error) {
	var rec Hypervisor
	if s.hostByName(name) == nil {
		return rec, nil, hostNotFound(name)
	}
	hs, err := s.Hypervisors(ctx)
	if err != nil {
		return rec, nil, err
	}
	for _, x := range hs {
		if x.Host.Name == name {
			rec = x
		}
	}
	use, err := s.HostProjectUse(ctx, name)
	if err != nil {
		return rec, nil, err
	}
	return rec, use, nil
}

// UpdateHost is os-hosts' update: status ("enable" or "disable", or ""
// for none) enables or disables the host's nova-compute; maintenance mode
// is not supported (as libvirt's).
func (s *Service) UpdateHost(ctx context.Context, name, status string, maintenance bool) error {
	if s.hostByName(name) == nil {
		return hostNotFound(name)
	}
	if maintenance {
		return fault.NotImplementedf("Virt driver does not implement host maintenance mode.")
	}
	svcs, err := s.Services(ctx)
	if err != nil {
		return err
	}
	disabled := status == "disable"
	for _, sv := range svcs {
		if sv.Host == name && sv.Binary == "nova-compute" {
			if _, err := s.SetService(ctx, sv, ServiceUpdate{Disabled: &disabled, ClearReason: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

// HostPowerAction is os-hosts' startup, shutdown and reboot: not
// something a driver of stratus does.
func (s *Service) HostPowerAction(name string) error {
	if s.hostByName(name) == nil {
		return hostNotFound(name)
	}
	return fault.NotImplementedf("Virt driver does not implement host power management.")
}
