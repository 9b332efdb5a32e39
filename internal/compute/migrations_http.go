package compute

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// os-migrations and /servers/{id}/migrations on the wire.

// migrationFilter reads GET /os-migrations's query; none is true when the
// migration type is one stratus never records (the answer is empty).
func migrationFilter(r *http.Request) (f MigrationFilter, none bool, err error) {
	q := r.URL.Query()
	f.ServerID, f.Status, f.Limit = q.Get("instance_uuid"), q.Get("status"), -1
	if v := q.Get("migration_type"); v != "" {
		if v == "evacuation" || v == "live-migration" || v == "migration" {
			return f, true, nil
		}
		f.Type = v
	}
	for _, k := range []string{"host", "source_compute"} {
		if v := q.Get(k); v != "" {
			f.Hosts = append(f.Hosts, v)
		}
	}
	if v := q.Get("changes-since"); v != "" && atLeast(r, 59) {
		t, ok := parseTime(v)
		if !ok {
			return f, false, queryErr("changes-since", v, "'"+v+"' is not a 'date-time'")
		}
		f.ChangesSince = &t
	}
	if atLeast(r, 59) {
		if f.Limit, f.Marker, err = page(r); err != nil {
			return f, false, err
		}
	}
	return f, false, nil
}

func migrationView(r *http.Request, m Migration) map[string]any {
	v := map[string]any{"id": m.ID, "instance_uuid": m.ServerID, "source_compute": nullStr(m.SourceHost), "source_node": nullStr(m.SourceHost),
		"dest_compute": nullStr(m.DestHost), "dest_node": nullStr(m.DestHost), "dest_host": "127.0.0.1", "status": m.Status,
		"old_instance_type_id": flavorNumber(m.OldFlavor), "new_instance_type_id": flavorNumber(m.NewFlavor),
		"created_at": naiveTime(m.CreatedAt), "updated_at": naiveTime(m.UpdatedAt)}
	if atLeast(r, 23) {
		v["migration_type"] = m.Type
	}
	if atLeast(r, 59) {
		v["uuid"] = m.UUID
	}
	return v
}

func (s *Service) listMigrations(w http.ResponseWriter, r *http.Request) error {
	f, none, err := migrationFilter(r)
	if err != nil {
		return err
	}
	if none {
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"migrations": []any{}})
	}
	list, err := s.Migrations(r.Context(), f)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, m := range list {
		out = append(out, migrationView(r, m))
	}
	body := map[string]any{"migrations": out}
	if atLeast(r, 59) && f.Limit > 0 && len(out) == f.Limit {
		body["migrations_links"] = nextLinks(r, len(out), f.Limit, "os-migrations", list[len(list)-1].UUID)
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

// listServerMigrations is GET /servers/{id}/migrations: live migrations in
// progress, of which stratus has none.
func (s *Service) listServerMigrations(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Server(r.Context(), principal(r), r.PathValue("server_id")); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"migrations": []any{}})
}

func (s *Service) getServerMigration(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Server(r.Context(), principal(r), r.PathValue("server_id")); err != nil {
		return err
	}
	return fault.NotFoundf("In-progress live migration %s is not found for server %s.", r.PathValue("migration_id"), r.PathValue("server_id"))
}
