package compute

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Flavor is a Nova flavor. ID is Nova's flavorid.
type Flavor struct {
	ID          string
	Name        string
	VCPUs       int64
	MemoryMB    int64
	RootGB      int64
	EphemeralGB int64
	Swap        int64
	RxtxFactor  float64
	IsPublic    bool
	Disabled    bool
	Description *string
	ExtraSpecs  map[string]string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func flavorNotFound(id string) *fault.Error {
	return fault.NotFoundf("Flavor %s could not be found.", id)
}

// FlavorFilter selects flavors for a list.
type FlavorFilter struct {
	// IsPublic: nil lists public and private (admin), true public ones and
	// those shared with the caller's project, false private ones only.
	IsPublic *bool
	MinRAM   int64
	MinDisk  int64
	SortKey  string // a Flavor column: flavorid (default), name, memory_mb, ...
	SortDir  string // asc (default) or desc
	Limit    int
	Marker   string
}

// visibleFlavor loads a flavor p may see: public, shared with p's project,
// or any for admin. Others do not exist for p.
func (s *Service) visibleFlavor(ctx context.Context, q store.Querier, p *policy.Principal, id string) (*Flavor, error) {
	f, err := getFlavorRow(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, flavorNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if !f.IsPublic && !p.IsAdmin() {
		ok, err := hasFlavorAccess(ctx, q, id, p.ProjectID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, flavorNotFound(id)
		}
	}
	return f, nil
}

// Flavor returns a flavor p may see.
func (s *Service) Flavor(ctx context.Context, p *policy.Principal, id string) (*Flavor, error) {
	return s.visibleFlavor(ctx, s.r, p, id)
}

// ListFlavors lists flavors as Nova's FlavorList.get_all does; withSpecs
// loads extra specs too.
func (s *Service) ListFlavors(ctx context.Context, p *policy.Principal, f FlavorFilter, withSpecs bool) ([]*Flavor, error) {
	all, err := listFlavorRows(ctx, s.r, p.ProjectID, p.IsAdmin())
	if err != nil {
		return nil, err
	}
	shared := map[string]bool{}
	if f.IsPublic != nil && *f.IsPublic && p.ProjectID != "" {
		rows, err := s.r.QueryContext(ctx, `SELECT flavor_id FROM compute_flavor_projects WHERE project_id = $1`, p.ProjectID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			shared[id] = true
		}
		rows.Close()
	}
	var out []*Flavor
	for _, fl := range all {
		if f.IsPublic != nil && fl.IsPublic != *f.IsPublic && !(*f.IsPublic && shared[fl.ID]) {
			continue
		}
		if !p.IsAdmin() && fl.Disabled {
			continue
		}
		if fl.MemoryMB < f.MinRAM || fl.RootGB < f.MinDisk {
			continue
		}
		out = append(out, fl)
	}
	sortFlavors(out, f.SortKey, f.SortDir)
	if f.Marker != "" {
		i := slices.IndexFunc(out, func(fl *Flavor) bool { return fl.ID == f.Marker })
		if i < 0 {
			return nil, fault.Invalidf("marker [%s] not found", f.Marker)
		}
		out = out[i+1:]
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	if withSpecs {
		specs, err := allExtraSpecs(ctx, s.r)
		if err != nil {
			return nil, err
		}
		for _, fl := range out {
			fl.ExtraSpecs = specs[fl.ID]
			if fl.ExtraSpecs == nil {
				fl.ExtraSpecs = map[string]string{}
			}
		}
	}
	return out, nil
}

func sortFlavors(fs []*Flavor, key, dir string) {
	cmpFn := func(a, b *Flavor) int {
		c := 0
		switch key {
		case "name":
			c = cmp.Compare(a.Name, b.Name)
		case "memory_mb":
			c = cmp.Compare(a.MemoryMB, b.MemoryMB)
		case "vcpus":
			c = cmp.Compare(a.VCPUs, b.VCPUs)
		case "root_gb":
			c = cmp.Compare(a.RootGB, b.RootGB)
		case "ephemeral_gb":
			c = cmp.Compare(a.EphemeralGB, b.EphemeralGB)
		case "swap":
			c = cmp.Compare(a.Swap, b.Swap)
		case "rxtx_factor":
			c = cmp.Compare(a.RxtxFactor, b.RxtxFactor)
		case "created_at", "id":
			c = a.CreatedAt.Compare(b.CreatedAt)
		case "updated_at":
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if dir == "desc" {
			c = -c
		}
		return c
	}
	slices.SortStableFunc(fs, cmpFn)
}

// CreateFlavor adds a flavor (admin; the route's policy checks). An empty
// ID gets a UUID.
func (s *Service) CreateFlavor(ctx context.Context, f *Flavor) (*Flavor, error) {
	if f.ID == "" {
		f.ID = uuid.NewString()
	}
	f.Name = strings.TrimSpace(f.Name)
	if f.ExtraSpecs == nil {
		f.ExtraSpecs = map[string]string{}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return insertFlavor(ctx, tx, f) })
	switch {
	case errors.Is(err, errFlavorID), errors.Is(err, store.ErrConflict):
		return nil, fault.Conflictf("Flavor with ID %s already exists.", f.ID)
	case errors.Is(err, errFlavorName):
		return nil, fault.Conflictf("Flavor with name %s already exists.", f.Name)
	case err != nil:
		return nil, err
	}
	return f, nil
}

// DeleteFlavor removes a flavor. Servers keep their copy of it.
func (s *Service) DeleteFlavor(ctx context.Context, id string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return deleteFlavorRow(ctx, tx, id) })
	if errors.Is(err, store.ErrNotFound) {
		return flavorNotFound(id)
	}
	return err
}

// SetFlavorDescription changes a flavor's description (2.55).
func (s *Service) SetFlavorDescription(ctx context.Context, p *policy.Principal, id string, desc *string) (*Flavor, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return setFlavorDescription(ctx, tx, id, desc) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, flavorNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return s.Flavor(ctx, p, id)
}

// SetExtraSpecs merges specs into a flavor's extra specs.
func (s *Service) SetExtraSpecs(ctx context.Context, p *policy.Principal, id string, specs map[string]string) error {
	if _, err := s.Flavor(ctx, p, id); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return upsertExtraSpecs(ctx, tx, id, specs) })
}

func noExtraSpec(id, key string) *fault.Error {
	return fault.NotFoundf("Flavor %s has no extra specs with key %s.", id, key)
}

// DeleteExtraSpec removes one extra spec.
func (s *Service) DeleteExtraSpec(ctx context.Context, p *policy.Principal, id, key string) error {
	if _, err := s.Flavor(ctx, p, id); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return deleteExtraSpec(ctx, tx, id, key) })
	if errors.Is(err, store.ErrNotFound) {
		return noExtraSpec(id, key)
	}
	return err
}

// FlavorAccess lists the projects a private flavor is shared with.
func (s *Service) FlavorAccess(ctx context.Context, p *policy.Principal, id string) ([]string, error) {
	f, err := s.Flavor(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if f.IsPublic {
		return nil, fault.NotFoundf("Access list not available for public flavors.")
	}
	return flavorProjects(ctx, s.r, id)
}

// AddFlavorAccess shares a private flavor with a project; refuseOnPublic
// is microversion 2.7's check.
func (s *Service) AddFlavorAccess(ctx context.Context, p *policy.Principal, id, project string, refuseOnPublic bool) ([]string, error) {
	f, err := s.Flavor(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if refuseOnPublic && f.IsPublic {
		return nil, fault.Conflictf("Can not add access to a public flavor.")
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return addFlavorAccess(ctx, tx, id, project) })
	if errors.Is(err, store.ErrConflict) {
		return nil, fault.Conflictf("Flavor access already exists for flavor %s and project %s combination.", id, project)
	}
	if err != nil {
		return nil, err
	}
	return flavorProjects(ctx, s.r, id)
}

// RemoveFlavorAccess stops sharing a flavor with a project.
func (s *Service) RemoveFlavorAccess(ctx context.Context, p *policy.Principal, id, project string) ([]string, error) {
	if _, err := s.Flavor(ctx, p, id); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return removeFlavorAccess(ctx, tx, id, project) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Flavor access not found for %s / %s combination.", id, project)
	}
	if err != nil {
		return nil, err
	}
	return flavorProjects(ctx, s.r, id)
}

// flavorIntField reads ram/vcpus/disk/... as Nova does: an integer or a
// digit string, between minimum and 2^31-1.
func flavorIntField(m map[string]any, key, wireKey string, minimum int64, def int64) (int64, error) {
	n, err := intField(m, wireKey, minimum, def)
	if err != nil {
		return 0, err
	}
	if n > 0x7FFFFFFF {
		return 0, schemaErr(wireKey, m[wireKey], strconv.FormatInt(n, 10)+" is greater than the maximum of 2147483647")
	}
	return n, nil
}
