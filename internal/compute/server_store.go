package compute

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

const serverCols = `id, seq, project_id, user_id, name, hostname, description, vm_state, task_state, power_state,
	image_id, flavor_id, flavor, old_flavor, vcpus, memory_mb, root_gb, host, node, availability_zone, key_name, key_data,
	user_data, config_drive, auto_disk_config, access_ipv4, access_ipv6, locked_by, locked_reason, progress,
	reservation_id, launch_index, root_device_name, metadata, system_metadata, tags, security_groups,
	requested_networks, scheduler_hints, fault, launched_at, terminated_at, created_at, updated_at, deleted_at`

func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := store.Time(v.Int64)
	return &t
}

func timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func nullStr(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

func scanServer(sc interface{ Scan(...any) error }) (*Server, error) {
	s := &Server{}
	var desc, task, oldFlavor, host, node, zone, keyName, keyData, userData, lockedBy, lockedReason, rootDev, flt sql.NullString
	var flavor, md, smd, tags, sgs, hints string
	var launched, terminated sql.NullInt64
	var created, updated int64
	var flavorID string
	var vcpus, ram, disk int64
	if err := sc.Scan(&s.ID, &s.Seq, &s.ProjectID, &s.UserID, &s.Name, &s.Hostname, &desc, &s.VMState, &task, &s.PowerState,
		&s.ImageID, &flavorID, &flavor, &oldFlavor, &vcpus, &ram, &disk, &host, &node, &zone, &keyName, &keyData,
		&userData, &s.ConfigDrive, &s.AutoDiskConfig, &s.AccessIPv4, &s.AccessIPv6, &lockedBy, &lockedReason, &s.Progress,
		&s.ReservationID, &s.LaunchIndex, &rootDev, &md, &smd, &tags, &sgs,
		&s.Networks, &hints, &flt, &launched, &terminated, &created, &updated, &s.DeletedAt); err != nil {
		return nil, err
	}
	s.Description, s.TaskState, s.Host, s.Node, s.Zone = nullStr(desc), nullStr(task), nullStr(host), nullStr(node), nullStr(zone)
	s.KeyName, s.KeyData, s.UserData, s.LockedBy, s.LockedReason = nullStr(keyName), nullStr(keyData), nullStr(userData), nullStr(lockedBy), nullStr(lockedReason)
	s.RootDevice = nullStr(rootDev)
	s.LaunchedAt, s.TerminatedAt = nullTime(launched), nullTime(terminated)
	s.CreatedAt, s.UpdatedAt = store.Time(created), store.Time(updated)
	for _, d := range []struct {
		text string
		dst  any
	}{{flavor, &s.Flavor}, {md, &s.Metadata}, {smd, &s.SystemMetadata}, {tags, &s.Tags}, {sgs, &s.SecurityGroups}, {hints, &s.SchedulerHints}} {
		if err := json.Unmarshal([]byte(d.text), d.dst); err != nil {
			return nil, err
		}
	}
	if oldFlavor.Valid {
		s.OldFlavor = &FlavorInfo{}
		if err := json.Unmarshal([]byte(oldFlavor.String), s.OldFlavor); err != nil {
			return nil, err
		}
	}
	if flt.Valid {
		s.Fault = &Fault{}
		if err := json.Unmarshal([]byte(flt.String), s.Fault); err != nil {
			return nil, err
		}
	}
	if s.Metadata == nil {
		s.Metadata = map[string]string{}
	}
	if s.SystemMetadata == nil {
		s.SystemMetadata = map[string]string{}
	}
	return s, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func optJSON[T any](v *T) any {
	if v == nil {
		return nil
	}
	return jsonText(v)
}

// serverArgs are the values of serverCols for s.
func serverArgs(s *Server) []any {
	return []any{s.ID, s.Seq, s.ProjectID, s.UserID, s.Name, s.Hostname, s.Description, s.VMState, s.TaskState, s.PowerState,
		s.ImageID, s.Flavor.ID, jsonText(s.Flavor), optJSON(s.OldFlavor), s.Flavor.VCPUs, s.Flavor.MemoryMB, s.Flavor.RootGB,
		s.Host, s.Node, s.Zone, s.KeyName, s.KeyData, s.UserData, s.ConfigDrive, s.AutoDiskConfig, s.AccessIPv4, s.AccessIPv6,
		s.LockedBy, s.LockedReason, s.Progress, s.ReservationID, s.LaunchIndex, s.RootDevice, jsonText(s.Metadata),
		jsonText(s.SystemMetadata), jsonText(s.Tags), jsonText(s.SecurityGroups), s.Networks, jsonText(s.SchedulerHints),
		optJSON(s.Fault), timeArg(s.LaunchedAt), timeArg(s.TerminatedAt), s.CreatedAt.UnixMicro(), s.UpdatedAt.UnixMicro(), s.DeletedAt}
}

const serverPlaceholders = `$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34,$35,$36,$37,$38,$39,$40,$41,$42,$43,$44,$45`

func insertServer(ctx context.Context, tx *sql.Tx, s *Server) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO compute_servers (`+serverCols+`) VALUES (`+serverPlaceholders+`)`, serverArgs(s)...)
	return err
}

// nextSeq reserves n instance numbers and returns the first.
func nextSeq(ctx context.Context, tx *sql.Tx, n int) (int64, error) {
	return nextCounter(ctx, tx, "server_seq", n)
}

// nextCounter reserves n numbers of a counter (server_seq, aggregate_id,
// migration_id) and returns the first.
func nextCounter(ctx context.Context, tx *sql.Tx, name string, n int) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `UPDATE compute_counters SET value = value + $1 WHERE name = $2 RETURNING value`, n, name).Scan(&v)
	return v - int64(n) + 1, err
}

// getServerRow reads a server, deleted ones included.
func getServerRow(ctx context.Context, q store.Querier, id string) (*Server, error) {
	s, err := scanServer(q.QueryRowContext(ctx, `SELECT `+serverCols+` FROM compute_servers WHERE id = $1`, id))
	if err != nil {
		return nil, store.Map(err)
	}
	return s, nil
}

// errRaced is returned by writeServer when the row changed since it was read.
var errRaced = errors.New("server changed meanwhile")

// writeServer stores s over the row it was read as (its updated_at then
// was prev): a compare-and-set, so two writers never lose each other's
// changes.
func writeServer(ctx context.Context, tx *sql.Tx, s *Server, prev time.Time) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if !now.After(prev) {
		now = prev.Add(time.Microsecond)
	}
	s.UpdatedAt = now
	args := serverArgs(s)
	res, err := tx.ExecContext(ctx, `UPDATE compute_servers SET (`+serverCols+`) = (`+serverPlaceholders+`)
		WHERE id = $1 AND updated_at = $46`, append(args, prev.UnixMicro())...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errRaced
	}
	return nil
}

func deleteServerRow(ctx context.Context, tx *sql.Tx, id string) error {
	for _, q := range []string{
		`DELETE FROM compute_server_group_members WHERE server_id = $1`,
		`DELETE FROM compute_instance_action_events WHERE server_id = $1`,
		`DELETE FROM compute_instance_actions WHERE server_id = $1`,
		`DELETE FROM compute_servers WHERE id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}
