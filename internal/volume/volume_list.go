package volume

import (
	"context"
	"errors"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

var volumeSortKeys = []string{"created_at", "updated_at", "id", "name", "display_name", "size", "status",
	"availability_zone", "bootable", "project_id", "user_id"}

// volumeFilters are the filters a project member may use (Cinder's
// resource_filters.json); others are dropped, as Cinder drops them before
// microversion 3.31. An admin may also filter by project_id and user_id.
var volumeFilters = []string{"name", "status", "metadata", "bootable", "migration_status", "availability_zone", "size"}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func volumeField(v *Volume, k string) any {
	switch k {
	case "id":
		return v.ID
	case "created_at":
		return v.CreatedAt
	case "updated_at":
		return v.UpdatedAt
	case "name", "display_name":
		return deref(v.Name)
	case "size":
		return v.Size
	case "status":
		return v.Status
	case "availability_zone":
		return v.AvailabilityZone
	case "bootable":
		return v.Bootable
	case "project_id":
		return v.ProjectID
	case "user_id":
		return v.UserID
	}
	return ""
}

// ListVolumes lists the volumes p may see (an admin's own project's unless
// all_tenants is set), filtered, sorted and paged as lq says.
func (s *Service) ListVolumes(ctx context.Context, p *policy.Principal, lq listQuery) ([]*Volume, error) {
	project := p.ProjectID
	allowed := volumeFilters
	if p.IsAdmin() {
		if v, ok := take(lq.filters, "all_tenants"); ok && v != "0" && v != "false" && v != "False" {
			project = ""
		}
		allowed = append(allowed[:len(allowed):len(allowed)], "project_id", "user_id")
	}
	all, err := listVolumes(ctx, s.r, project)
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, v := range all {
		if matchVolume(v, lq, allowed) {
			out = append(out, v)
		}
	}
	var marker *Volume
	if lq.marker != "" {
		m, err := getVolume(ctx, s.r, project, lq.marker)
		if errors.Is(err, store.ErrNotFound) {
			return nil, volumeNotFound(lq.marker)
		}
		if err != nil {
			return nil, err
		}
		marker = m
	}
	page := paginate(out, lq, marker, marker != nil, volumeField)
	return page, s.loadTypes(ctx, page)
}

func matchVolume(v *Volume, lq listQuery, allowed []string) bool {
	for _, k := range allowed {
		if _, ok := lq.filters[k]; !ok {
			continue
		}
		want := lq.filters.Get(k)
		switch k {
		case "name":
			if deref(v.Name) != want {
				return false
			}
		case "status":
			if v.Status != want {
				return false
			}
		case "bootable":
			if b, ok := parseBool(want); ok && b != v.Bootable {
				return false
			}
		case "availability_zone":
			if v.AvailabilityZone != want {
				return false
			}
		case "migration_status":
			if v.MigrationStatus != want {
				return false
			}
		case "size":
			if n, err := strconv.ParseInt(want, 10, 64); err != nil || n != v.Size {
				return false
			}
		case "metadata":
			m, ok := metadataFilter(want)
			if !ok || !hasAll(v.Metadata, m) {
				return false
			}
		case "project_id":
			if v.ProjectID != want {
				return false
			}
		case "user_id":
			if v.UserID != want {
				return false
			}
		}
	}
	return true
}
