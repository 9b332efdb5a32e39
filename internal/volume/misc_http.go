package volume

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// limitsHTTP is GET /limits: the project's absolute limits and usage
// (Cinder's used_limits extension); no rate limits.
func (s *Service) limitsHTTP(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	lim, err := projectLimits(r.Context(), s.r, p.ProjectID)
	if err != nil {
		return err
	}
	u, err := projectUsage(r.Context(), s.r, p.ProjectID)
	if err != nil {
		return err
	}
	abs := map[string]int64{
		"maxTotalVolumes": lim["volumes"], "maxTotalSnapshots": lim["snapshots"],
		"maxTotalVolumeGigabytes": lim["gigabytes"], "maxTotalBackups": lim["backups"],
		"maxTotalBackupGigabytes": lim["backup_gigabytes"],
		"totalVolumesUsed":        u["volumes"], "totalGigabytesUsed": u["gigabytes"],
		"totalSnapshotsUsed": u["snapshots"], "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0,
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"limits": map[string]any{"rate": []any{}, "absolute": abs}})
}

// zonesHTTP is GET /os-availability-zone: the node's one zone.
func (s *Service) zonesHTTP(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"availabilityZoneInfo": []map[string]any{
		{"zoneName": s.zone, "zoneState": map[string]bool{"available": true}},
	}})
}

type extension struct {
	Alias       string   `json:"alias"`
	Description string   `json:"description"`
	Links       []string `json:"links"`
	Name        string   `json:"name"`
	Updated     string   `json:"updated"`
}

// extensions are the Cinder extensions whose APIs stratus serves.
var extensions = []extension{
	{"os-admin-actions", "Enable admin actions.", nil, "AdminActions", "2012-08-25T00:00:00+00:00"},
	{"os-availability-zone", "Describe Availability Zones.", nil, "AvailabilityZones", "2013-06-27T00:00:00+00:00"},
	{"os-extended-snapshot-attributes", "Extended SnapshotAttributes support.", nil, "ExtendedSnapshotAttributes", "2012-06-19T00:00:00+00:00"},
	{"os-quota-class-sets", "Quota classes management support.", nil, "QuotaClasses", "2012-03-12T00:00:00+00:00"},
	{"os-quota-sets", "Quota management support.", nil, "Quotas", "2011-08-08T00:00:00+00:00"},
	{"os-types-extra-specs", "Type extra specs support.", nil, "TypesExtraSpecs", "2011-08-24T00:00:00+00:00"},
	{"os-types-manage", "Types manage support.", nil, "TypesManage", "2011-08-24T00:00:00+00:00"},
	{"os-used-limits", "Provide data on limited resources that are being used.", nil, "UsedLimits", "2013-10-03T00:00:00+00:00"},
	{"os-vol-host-attr", "Expose host as an attribute of a volume.", nil, "VolumeHostAttribute", "2011-11-03T00:00:00+00:00"},
	{"os-vol-image-meta", "Show image metadata associated with the volume.", nil, "VolumeImageMetadata", "2012-12-07T00:00:00+00:00"},
	{"os-vol-mig-status-attr", "Expose migration_status as an attribute of a volume.", nil, "VolumeMigStatusAttribute", "2013-08-08T00:00:00+00:00"},
	{"os-vol-tenant-attr", "Expose the internal project_id as an attribute of a volume.", nil, "VolumeTenantAttribute", "2011-11-03T00:00:00+00:00"},
	{"os-volume-actions", "Enable volume actions.", nil, "VolumeActions", "2012-05-31T00:00:00+00:00"},
	{"os-volume-type-access", "Volume type access support.", nil, "VolumeTypeAccess", "2014-06-26T00:00:00Z"},
}

func (s *Service) extensionsHTTP(w http.ResponseWriter, r *http.Request) error {
	out := make([]extension, len(extensions))
	for i, e := range extensions {
		e.Links = []string{}
		out[i] = e
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extensions": out})
}
