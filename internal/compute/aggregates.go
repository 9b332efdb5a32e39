package compute

import (
	"context"
	"database/sql"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Host aggregates (os-aggregates): named sets of hosts with metadata; an
// aggregate with an availability zone moves its hosts into that zone, as
// Nova's AvailabilityZoneFilter sees them.

// Aggregate is a host aggregate.
type Aggregate struct {
	ID        int64
	UUID      string
	Name      string
	Zone      *string
	Metadata  map[string]string
	Hosts     []string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

func (s *Service) loadAggregates(ctx context.Context, q store.Querier, where string, args ...any) ([]*Aggregate, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, uuid, name, availability_zone, metadata, created_at, updated_at FROM compute_aggregates `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []*Aggregate
	byID := map[int64]*Aggregate{}
	for rows.Next() {
		a := &Aggregate{Hosts: []string{}}
		var zone sql.NullString
		var meta string
		var created int64
		var updated sql.NullInt64
		if err := rows.Scan(&a.ID, &a.UUID, &a.Name, &zone, &meta, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		a.Zone, a.CreatedAt, a.UpdatedAt = nullStr(zone), time.UnixMicro(created).UTC(), nullTime(updated)
		if err := json.Unmarshal([]byte(meta), &a.Metadata); err != nil || a.Metadata == nil {
			a.Metadata = map[string]string{}
		}
		out = append(out, a)
		byID[a.ID] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	hrows, err := q.QueryContext(ctx, `SELECT aggregate_id, host FROM compute_aggregate_hosts ORDER BY host`)
	if err != nil {
		return nil, err
	}
	defer hrows.Close()
	for hrows.Next() {
		var id int64
		var host string
		if err := hrows.Scan(&id, &host); err != nil {
			return nil, err
		}
		if a := byID[id]; a != nil {
			a.Hosts = append(a.Hosts, host)
		}
	}
	return out, hrows.Err()
}

// aggregateZones maps each host in an aggregate with an availability zone
// to that zone.
func (s *Service) aggregateZones(ctx context.Context) map[string]string {
	out := map[string]string{}
	rows, err := s.r.QueryContext(ctx, `SELECT h.host, a.availability_zone FROM compute_aggregate_hosts h
		JOIN compute_aggregates a ON a.id = h.aggregate_id WHERE a.availability_zone IS NOT NULL ORDER BY a.id`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var host, zone string
		if rows.Scan(&host, &zone) == nil {
			if _, ok := out[host]; !ok {
				out[host] = zone
			}
		}
	}
	return out
}

// hostZone is the availability zone of a host: its aggregate's, else the
// configured one.
func (s *Service) hostZone(ctx context.Context, h Host) string {
	if z, ok := s.aggregateZones(ctx)[h.Name]; ok {
		return z
	}
	return h.Zone
}

// zonedHosts are the hosts with their effective zones.
func (s *Service) zonedHosts(ctx context.Context) []Host {
	az := s.aggregateZones(ctx)
	out := make([]Host, len(s.hosts))
	copy(out, s.hosts)
	for i := range out {
		if z, ok := az[out[i].Name]; ok {
			out[i].Zone = z
		}
	}
	return out
}

func (s *Service) aggregate(ctx context.Context, q store.Querier, id string) (*Aggregate, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, fault.NotFoundf("Aggregate %s could not be found.", id)
	}
	list, err := s.loadAggregates(ctx, q, `WHERE id = $1`, n)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fault.NotFoundf("Aggregate %s could not be found.", id)
	}
	return list[0], nil
}

// Aggregates lists the host aggregates.
func (s *Service) Aggregates(ctx context.Context) ([]*Aggregate, error) {
	return s.loadAggregates(ctx, s.r, "")
}

// CreateAggregate creates an aggregate named name, in zone when not nil;
// names are unique and the internal zone is refused.
func (s *Service) CreateAggregate(ctx context.Context, name string, zone *string) (*Aggregate, error) {
	if zone != nil && *zone == "internal" {
		return nil, fault.Invalidf("Invalid input received: Cannot create an aggregate in the internal availability zone.")
	}
	a := &Aggregate{UUID: uuid.NewString(), Name: name, Zone: zone, Metadata: map[string]string{}, Hosts: []string{}, CreatedAt: time.Now().UTC()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := aggregateNameFree(ctx, tx, a.Name); err != nil {
			return err
		}
		var err error
		if a.ID, err = nextCounter(ctx, tx, "aggregate_id", 1); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO compute_aggregates (id, uuid, name, availability_zone, metadata, created_at) VALUES ($1, $2, $3, $4, '{}', $5)`,
			a.ID, a.UUID, a.Name, a.Zone, a.CreatedAt.UnixMicro())
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// aggregateNameFree refuses a name another aggregate has.
func aggregateNameFree(ctx context.Context, tx *sql.Tx, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_aggregates WHERE name = $1`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fault.Conflictf("Aggregate %s already exists.", name)
	}
	return nil
}

// UpdateAggregate renames aggregate id (when name is not nil) and sets
// its zone (when zoneSet; nil is none).
func (s *Service) UpdateAggregate(ctx context.Context, id string, name, zone *string, zoneSet bool) (*Aggregate, error) {
	var a *Aggregate
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = s.aggregate(ctx, tx, id); err != nil {
			return err
		}
		if name != nil && *name != a.Name {
			if err := aggregateNameFree(ctx, tx, *name); err != nil {
				return err
			}
			a.Name = *name
		}
		if zoneSet {
			if err := s.setAggregateZone(ctx, tx, a, zone, "update"); err != nil {
				return err
			}
		}
		return s.saveAggregate(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteAggregate deletes an aggregate that has no hosts.
func (s *Service) DeleteAggregate(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.aggregate(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(a.Hosts) > 0 {
			return fault.Invalidf("Cannot remove aggregate %d. Reason: Host aggregate is not empty.", a.ID)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM compute_aggregates WHERE id = $1`, a.ID)
		return err
	})
}

// AddAggregateHost adds a configured host to aggregate id, refusing one
// in another aggregate's different zone.
func (s *Service) AddAggregateHost(ctx context.Context, id, host string) (*Aggregate, error) {
	return s.aggregateHostOp(ctx, id, host, func(tx *sql.Tx, a *Aggregate) error {
		if contains(a.Hosts, host) {
			return fault.Conflictf("Aggregate %d already has host %s.", a.ID, host)
		}
		if other, err := s.zoneConflict(ctx, tx, a.ID, []string{host}, a.Zone); err != nil {
			return err
		} else if other != "" {
			return fault.Conflictf("Cannot add host to aggregate %d. Reason: One or more hosts already in availability zone(s) ['%s'].", a.ID, other)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO compute_aggregate_hosts (aggregate_id, host) VALUES ($1, $2)`, a.ID, host); err != nil {
			return err
		}
		a.Hosts = append(a.Hosts, host)
		sort.Strings(a.Hosts)
		return nil
	})
}

// RemoveAggregateHost removes a host from aggregate id.
func (s *Service) RemoveAggregateHost(ctx context.Context, id, host string) (*Aggregate, error) {
	return s.aggregateHostOp(ctx, id, host, func(tx *sql.Tx, a *Aggregate) error {
		if !contains(a.Hosts, host) {
			return fault.NotFoundf("Cannot remove host %s in aggregate %d", host, a.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM compute_aggregate_hosts WHERE aggregate_id = $1 AND host = $2`, a.ID, host); err != nil {
			return err
		}
		kept := []string{}
		for _, h := range a.Hosts {
			if h != host {
				kept = append(kept, h)
			}
		}
		a.Hosts = kept
		return nil
	})
}

// aggregateHostOp runs op on aggregate id in a transaction, once the
// aggregate and then the host are found.
func (s *Service) aggregateHostOp(ctx context.Context, id, host string, op func(*sql.Tx, *Aggregate) error) (*Aggregate, error) {
	var a *Aggregate
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = s.aggregate(ctx, tx, id); err != nil {
			return err
		}
		if s.hostByName(host) == nil {
			return fault.NotFoundf("Compute host %s could not be found.", host)
		}
		return op(tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// SetAggregateMetadata merges meta (JSON values as the client sent them:
// a string sets a key, null removes it) into aggregate id's metadata;
// availability_zone sets the zone. The values are checked once the
// aggregate is found, as Nova does.
func (s *Service) SetAggregateMetadata(ctx context.Context, id string, meta map[string]any) (*Aggregate, error) {
	var a *Aggregate
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = s.aggregate(ctx, tx, id); err != nil {
			return err
		}
		for k, val := range meta {
			if err := length("metadata", k, 1, 255); err != nil {
				return err
			}
			if k == "availability_zone" {
				var zone *string
				if val != nil {
					z, ok := val.(string)
					if !ok {
						return schemaErr(k, val, pyRepr(val)+" is not of type 'string', 'null'")
					}
					zone = &z
				}
				if err := s.setAggregateZone(ctx, tx, a, zone, "update"); err != nil {
					return err
				}
				continue
			}
			if val == nil {
				delete(a.Metadata, k)
				continue
			}
			sv, ok := val.(string)
			if !ok {
				return schemaErr(k, val, pyRepr(val)+" is not of type 'string', 'null'")
			}
			if err := length(k, sv, 0, 255); err != nil {
				return err
			}
			a.Metadata[k] = sv
		}
		return s.saveAggregate(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// zoneConflict refuses moving hosts into zone when one of them is in
// another aggregate's different zone (Nova's InvalidAggregateActionAdd /
// Update).
func (s *Service) zoneConflict(ctx context.Context, tx *sql.Tx, aggID int64, hosts []string, zone *string) (string, error) {
	if zone == nil {
		return "", nil
	}
	for _, h := range hosts {
		rows, err := tx.QueryContext(ctx, `SELECT a.availability_zone FROM compute_aggregate_hosts h JOIN compute_aggregates a ON a.id = h.aggregate_id
			WHERE h.host = $1 AND a.id <> $2 AND a.availability_zone IS NOT NULL`, h, aggID)
		if err != nil {
			return "", err
		}
		for rows.Next() {
			var z string
			if err := rows.Scan(&z); err != nil {
				rows.Close()
				return "", err
			}
			if z != *zone {
				rows.Close()
				return z, nil
			}
		}
		rows.Close()
	}
	return "", nil
}

// setAggregateZone updates an aggregate's zone (update or set_metadata),
// refusing a zone that conflicts with its hosts' other aggregates.
func (s *Service) setAggregateZone(ctx context.Context, tx *sql.Tx, a *Aggregate, zone *string, action string) error {
	if zone != nil && *zone == "internal" {
		return fault.Invalidf("Invalid input received: Cannot update an aggregate in the internal availability zone.")
	}
	other, err := s.zoneConflict(ctx, tx, a.ID, a.Hosts, zone)
	if err != nil {
		return err
	}
	if other != "" {
		return fault.Invalidf("Cannot %s aggregate %d. Reason: One or more hosts already in availability zone(s) ['%s'].", action, a.ID, other)
	}
	a.Zone = zone
	return nil
}

func (s *Service) saveAggregate(ctx context.Context, tx *sql.Tx, a *Aggregate) error {
	now := time.Now().UTC()
	a.UpdatedAt = &now
	meta, _ := json.Marshal(a.Metadata)
	_, err := tx.ExecContext(ctx, `UPDATE compute_aggregates SET name = $1, availability_zone = $2, metadata = $3, updated_at = $4 WHERE id = $5`,
		a.Name, a.Zone, string(meta), now.UnixMicro(), a.ID)
	return err
}
