package compute

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Host is a compute host servers are placed on. Zero capacities are
// unlimited.
type Host struct {
	Name     string
	Zone     string
	VCPUs    int64
	MemoryMB int64
	DiskGB   int64
}

// ParseHosts reads hosts as "name[@zone][:vcpus:ram_mb:disk_gb]", comma
// separated; the zone defaults to defZone.
func ParseHosts(spec, defZone string) ([]Host, error) {
	var out []Host
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		h := Host{Name: parts[0], Zone: defZone}
		if n, z, ok := strings.Cut(h.Name, "@"); ok {
			h.Name, h.Zone = n, z
		}
		if h.Name == "" || h.Zone == "" || strings.ContainsAny(h.Name, " /") {
			return nil, fmt.Errorf("compute host %q: want name[@zone][:vcpus:ram_mb:disk_gb]", item)
		}
		if len(parts) != 1 && len(parts) != 4 {
			return nil, fmt.Errorf("compute host %q: want name[@zone][:vcpus:ram_mb:disk_gb]", item)
		}
		for i, dst := range []*int64{&h.VCPUs, &h.MemoryMB, &h.DiskGB} {
			if len(parts) == 4 {
				n, err := strconv.ParseInt(parts[i+1], 10, 64)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("compute host %q: capacity %q is not a number", item, parts[i+1])
				}
				*dst = n
			}
		}
		for _, o := range out {
			if o.Name == h.Name {
				return nil, fmt.Errorf("compute host %q given twice", h.Name)
			}
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no compute hosts")
	}
	return out, nil
}

// placement is what the scheduler must satisfy for one server.
type placement struct {
	serverID  string
	project   string
	flavor    FlavorInfo
	zone      string // "" any
	host      string // forced host ("" any)
	group     *ServerGroup
	dedicated bool
	diffHost  []string // server ids (different_host hint)
	sameHost  []string // server ids (same_host hint)
}

type hostUse struct {
	vcpus, ram, disk, count int64
	projects                map[string]bool
	dedicated               map[string]bool // projects with a dedicated server here
}

func noValidHost(reason string) error {
	return fault.New(fault.Internal, "No valid host was found. %s", reason)
}

// usage sums the live servers on each host.
func (s *Service) usage(ctx context.Context, q store.Querier) (map[string]*hostUse, error) {
	rows, err := q.QueryContext(ctx, `SELECT host, project_id, vcpus, memory_mb, root_gb, scheduler_hints FROM compute_servers
		WHERE deleted_at = 0 AND host IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	use := map[string]*hostUse{}
	for rows.Next() {
		var host, project, hints string
		var vcpus, ram, disk int64
		if err := rows.Scan(&host, &project, &vcpus, &ram, &disk, &hints); err != nil {
			return nil, err
		}
		u := use[host]
		if u == nil {
			u = &hostUse{projects: map[string]bool{}, dedicated: map[string]bool{}}
			use[host] = u
		}
		u.vcpus, u.ram, u.disk, u.count = u.vcpus+vcpus, u.ram+ram, u.disk+disk, u.count+1
		u.projects[project] = true
		if strings.Contains(hints, `"fcx.dedicated"`) && dedicatedHint(hints) {
			u.dedicated[project] = true
		}
	}
	return use, rows.Err()
}

// hostsOf maps server ids to their hosts.
func hostsOf(ctx context.Context, q store.Querier, ids []string) (map[string]int, error) {
	out := map[string]int{}
	for _, id := range ids {
		var host *string
		if err := q.QueryRowContext(ctx, `SELECT host FROM compute_servers WHERE id = $1 AND deleted_at = 0`, id).Scan(&host); err == nil && host != nil {
			out[*host]++
		}
	}
	return out, nil
}

// groupMemberHosts counts the placed members of a server group (but
// self) per host, as committed: members placed earlier in the same
// request count.
func groupMemberHosts(ctx context.Context, q store.Querier, groupID, self string) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.host FROM compute_server_group_members m JOIN compute_servers s ON s.id = m.server_id
		WHERE m.group_id = $1 AND s.id <> $2 AND s.deleted_at = 0 AND s.host IS NOT NULL`, groupID, self)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out[h]++
	}
	return out, rows.Err()
}

// disabledHosts are the hosts whose nova-compute is disabled or forced
// down (Nova's ComputeFilter).
func disabledHosts(ctx context.Context, q store.Querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT host FROM compute_services WHERE binary_name = 'nova-compute' AND (disabled OR forced_down)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out[h] = true
	}
	return out, rows.Err()
}

// pick chooses a host for pl among s.hosts, as Nova's filter scheduler
// would with the AZ, RAM/core/disk, (anti-)affinity, same/different host
// filters and a RAM-spreading weigher. Callers hold s.schedMu.
func (s *Service) pick(ctx context.Context, q store.Querier, pl placement) (*Host, error) {
	use, err := s.usage(ctx, q)
	if err != nil {
		return nil, err
	}
	var groupHosts map[string]int
	if pl.group != nil {
		if groupHosts, err = groupMemberHosts(ctx, q, pl.group.ID, pl.serverID); err != nil {
			return nil, err
		}
	}
	disabled, err := disabledHosts(ctx, q)
	if err != nil {
		return nil, err
	}
	hosts := s.zonedHosts(ctx)
	diff, _ := hostsOf(ctx, q, pl.diffHost)
	same, _ := hostsOf(ctx, q, pl.sameHost)
	type cand struct {
		h      *Host
		weight float64
	}
	var cands []cand
	for i := range hosts {
		h := &hosts[i]
		if disabled[h.Name] && pl.host == "" {
			continue
		}
		u := use[h.Name]
		if u == nil {
			u = &hostUse{projects: map[string]bool{}, dedicated: map[string]bool{}}
		}
		if (pl.zone != "" && h.Zone != pl.zone) || (pl.host != "" && h.Name != pl.host) {
			continue
		}
		// Room: what the host's servers use plus this one, within its
		// capacity times the allocation ratio (zero capacity: unlimited).
		over := func(used, more, capacity int64, ratio float64) bool {
			return capacity > 0 && float64(used+more) > float64(capacity)*ratio
		}
		if over(u.vcpus, pl.flavor.VCPUs, h.VCPUs, s.ratios.CPU) || over(u.ram, pl.flavor.MemoryMB, h.MemoryMB, s.ratios.RAM) ||
			over(u.disk, pl.flavor.RootGB+pl.flavor.EphemeralGB, h.DiskGB, s.ratios.Disk) {
			continue
		}
		if diff[h.Name] > 0 || (len(same) > 0 && same[h.Name] == 0) {
			continue
		}
		// K5 dedicated instances: a host holds dedicated servers of one
		// project only, and no other project's servers beside them.
		others := 0
		for p := range u.projects {
			if p != pl.project {
				others++
			}
		}
		if pl.dedicated && others > 0 {
			continue
		}
		if !pl.dedicated && len(u.dedicated) > 0 && !u.dedicated[pl.project] {
			continue
		}
		w := -float64(u.count)
		if h.MemoryMB > 0 {
			w = float64(h.MemoryMB-u.ram) / float64(h.MemoryMB)
		}
		if pl.group != nil {
			n := groupHosts[h.Name]
			switch pl.group.Policy {
			case "affinity":
				if len(groupHosts) > 0 && n == 0 {
					continue
				}
			case "anti-affinity":
				max := 1
				if v, ok := pl.group.Rules["max_server_per_host"]; ok {
					max = v
				}
				if n >= max {
					continue
				}
			case "soft-affinity":
				w += float64(n) * 1000
			case "soft-anti-affinity":
				w -= float64(n) * 1000
			}
		}
		cands = append(cands, cand{h, w})
	}
	if len(cands) == 0 {
		return nil, noValidHost("There are not enough hosts available.")
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].weight != cands[j].weight {
			return cands[i].weight > cands[j].weight
		}
		return cands[i].h.Name < cands[j].h.Name
	})
	return cands[0].h, nil
}

// zones are the availability zones of the hosts, sorted.
func (s *Service) zones(ctx context.Context) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range s.zonedHosts(ctx) {
		if !seen[h.Zone] {
			seen[h.Zone] = true
			out = append(out, h.Zone)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Service) hostByName(name string) *Host {
	for i := range s.hosts {
		if s.hosts[i].Name == name {
			return &s.hosts[i]
		}
	}
	return nil
}
