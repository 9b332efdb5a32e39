package volume

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Routes are the Cinder routes, mounted under catalog.VolumePrefix: v3 at
// /v3/{project_id} (catalog type volumev3) and the same API as K5's v2 at
// /v2/{project_id} (volumev2, blockstoragev2).
func (s *Service) Routes() []httpapi.Route {
	rts := []httpapi.Route{
		{Method: http.MethodGet, Pattern: "", Policy: policy.Public, Handler: listVersions},
		{Method: http.MethodGet, Pattern: "/{$}", Policy: policy.Public, Handler: listVersions},
		{Method: http.MethodGet, Pattern: "/v2", Policy: policy.Public, Handler: showVersion(0)},
		{Method: http.MethodGet, Pattern: "/v2/{$}", Policy: policy.Public, Handler: showVersion(0)},
		{Method: http.MethodGet, Pattern: "/v3", Policy: policy.Public, Handler: showVersion(1)},
		{Method: http.MethodGet, Pattern: "/v3/{$}", Policy: policy.Public, Handler: showVersion(1)},
	}
	rts = append(rts, s.versionRoutes(2, "/v2/{project_id}")...)
	return append(rts, s.versionRoutes(3, "/v3/{project_id}")...)
}

// unbuilt are Cinder APIs stratus does not serve: 501 in Cinder's format
// (docs/compatibility.md lists them).
var unbuilt = []string{"backups", "messages", "groups", "group_types", "group_snapshots", "attachments",
	"volume-transfers", "clusters", "workers", "manageable_volumes", "manageable_snapshots", "os-volume-manage",
	"os-snapshot-manage", "consistencygroups", "cgsnapshots", "default-types", "resource_filters", "os-backup"}

// encryptionHTTP: volume encryption types are not served; a missing type
// is still 404 as in Cinder.
func (s *Service) encryptionHTTP(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.VolumeType(r.Context(), principal(r), r.PathValue("type_id")); err != nil {
		return err
	}
	return notImplemented(w, r)
}

func notImplemented(w http.ResponseWriter, r *http.Request) error {
	return fault.NotImplementedf("The requested API is not implemented in stratus yet.")
}

func (s *Service) versionRoutes(major int, p string) []httpapi.Route {
	read, write, admin := policy.ProjectReader, policy.ProjectMember, policy.Admin
	v := func(h httpapi.HandlerFunc) httpapi.HandlerFunc { return versioned(major, h) }
	rts := []httpapi.Route{
		{Method: http.MethodGet, Pattern: p + "/types", Policy: read, Handler: v(s.listTypesHTTP)},
		{Method: http.MethodPost, Pattern: p + "/types", Policy: admin, Handler: v(s.createTypeHTTP)},
		{Method: http.MethodGet, Pattern: p + "/types/{type_id}", Policy: read, Handler: v(s.showTypeHTTP)},
		{Method: http.MethodPut, Pattern: p + "/types/{type_id}", Policy: admin, Handler: v(s.updateTypeHTTP)},
		{Method: http.MethodDelete, Pattern: p + "/types/{type_id}", Policy: admin, Handler: v(s.deleteTypeHTTP)},
		{Method: http.MethodPost, Pattern: p + "/types/{type_id}/action", Policy: admin, Handler: v(s.typeActionHTTP)},
		{Method: http.MethodGet, Pattern: p + "/types/{type_id}/os-volume-type-access", Policy: admin, Handler: v(s.typeAccessHTTP)},
		{Method: http.MethodGet, Pattern: p + "/types/{type_id}/encryption", Policy: admin, Handler: v(s.encryptionHTTP)},
		{Method: http.MethodPost, Pattern: p + "/types/{type_id}/encryption", Policy: admin, Handler: v(s.encryptionHTTP)},

		{Method: http.MethodGet, Pattern: p + "/qos-specs", Policy: admin, Handler: v(s.listQoSHTTP)},
		{Method: http.MethodPost, Pattern: p + "/qos-specs", Policy: admin, Handler: v(s.createQoSHTTP)},
		{Method: http.MethodGet, Pattern: p + "/qos-specs/{qos_id}", Policy: admin, Handler: v(s.showQoSHTTP)},
		{Method: http.MethodPut, Pattern: p + "/qos-specs/{qos_id}", Policy: admin, Handler: v(s.setQoSHTTP)},
		{Method: http.MethodDelete, Pattern: p + "/qos-specs/{qos_id}", Policy: admin, Handler: v(s.deleteQoSHTTP)},
		{Method: http.MethodPut, Pattern: p + "/qos-specs/{qos_id}/delete_keys", Policy: admin, Handler: v(s.unsetQoSHTTP)},
		{Method: http.MethodGet, Pattern: p + "/qos-specs/{qos_id}/associations", Policy: admin, Handler: v(s.qosAssociationsHTTP)},
		{Method: http.MethodGet, Pattern: p + "/qos-specs/{qos_id}/associate", Policy: admin, Handler: v(s.qosAssociateHTTP("associate"))},
		{Method: http.MethodGet, Pattern: p + "/qos-specs/{qos_id}/disassociate", Policy: admin, Handler: v(s.qosAssociateHTTP("disassociate"))},
		{Method: http.MethodGet, Pattern: p + "/qos-specs/{qos_id}/disassociate_all", Policy: admin, Handler: v(s.qosAssociateHTTP("disassociate_all"))},

		{Method: http.MethodGet, Pattern: p + "/os-services", Policy: admin, Handler: v(s.servicesHTTP)},
		{Method: http.MethodPut, Pattern: p + "/os-services/{action}", Policy: admin, Handler: v(s.updateServiceHTTP)},
		{Method: http.MethodGet, Pattern: p + "/os-hosts", Policy: admin, Handler: v(s.hostsHTTP)},
		{Method: http.MethodGet, Pattern: p + "/os-hosts/{host}", Policy: admin, Handler: v(s.showHostHTTP)},
		{Method: http.MethodGet, Pattern: p + "/scheduler-stats/get_pools", Policy: admin, Handler: v(s.poolsHTTP)},
		{Method: http.MethodGet, Pattern: p + "/capabilities/{host}", Policy: admin, Handler: v(s.capabilitiesHTTP)},
		{Method: http.MethodGet, Pattern: p + "/types/{type_id}/extra_specs", Policy: read, Handler: v(s.listSpecsHTTP)},
		{Method: http.MethodPost, Pattern: p + "/types/{type_id}/extra_specs", Policy: admin, Handler: v(s.createSpecsHTTP)},
		{Method: http.MethodGet, Pattern: p + "/types/{type_id}/extra_specs/{key}", Policy: read, Handler: v(s.showSpecHTTP)},
		{Method: http.MethodPut, Pattern: p + "/types/{type_id}/extra_specs/{key}", Policy: admin, Handler: v(s.updateSpecHTTP)},
		{Method: http.MethodDelete, Pattern: p + "/types/{type_id}/extra_specs/{key}", Policy: admin, Handler: v(s.deleteSpecHTTP)},

		{Method: http.MethodPost, Pattern: p + "/volumes", Policy: write, Handler: v(s.createVolumeHTTP)},
		{Method: http.MethodGet, Pattern: p + "/volumes", Policy: read, Handler: v(s.listVolumesHTTP(false))},
		{Method: http.MethodGet, Pattern: p + "/volumes/detail", Policy: read, Handler: v(s.listVolumesHTTP(true))},
		{Method: http.MethodGet, Pattern: p + "/volumes/{volume_id}", Policy: read, Handler: v(s.showVolumeHTTP)},
		{Method: http.MethodPut, Pattern: p + "/volumes/{volume_id}", Policy: write, Handler: v(s.updateVolumeHTTP)},
		{Method: http.MethodDelete, Pattern: p + "/volumes/{volume_id}", Policy: write, Handler: v(s.deleteVolumeHTTP)},
		{Method: http.MethodPost, Pattern: p + "/volumes/{volume_id}/action", Policy: write, Handler: v(s.volumeActionHTTP)},

		{Method: http.MethodPost, Pattern: p + "/snapshots", Policy: write, Handler: v(s.createSnapshotHTTP)},
		{Method: http.MethodGet, Pattern: p + "/snapshots", Policy: read, Handler: v(s.listSnapshotsHTTP(false))},
		{Method: http.MethodGet, Pattern: p + "/snapshots/detail", Policy: read, Handler: v(s.listSnapshotsHTTP(true))},
		{Method: http.MethodGet, Pattern: p + "/snapshots/{snapshot_id}", Policy: read, Handler: v(s.showSnapshotHTTP)},
		{Method: http.MethodPut, Pattern: p + "/snapshots/{snapshot_id}", Policy: write, Handler: v(s.updateSnapshotHTTP)},
		{Method: http.MethodDelete, Pattern: p + "/snapshots/{snapshot_id}", Policy: write, Handler: v(s.deleteSnapshotHTTP)},
		{Method: http.MethodPost, Pattern: p + "/snapshots/{snapshot_id}/action", Policy: write, Handler: v(s.snapshotActionHTTP)},

		{Method: http.MethodGet, Pattern: p + "/os-quota-sets/{target}", Policy: read, Handler: v(s.showQuotaHTTP)},
		{Method: http.MethodGet, Pattern: p + "/os-quota-sets/{target}/defaults", Policy: read, Handler: v(s.quotaDefaultsHTTP)},
		{Method: http.MethodPut, Pattern: p + "/os-quota-sets/{target}", Policy: admin, Handler: v(s.updateQuotaHTTP)},
		{Method: http.MethodDelete, Pattern: p + "/os-quota-sets/{target}", Policy: admin, Handler: v(s.deleteQuotaHTTP)},
		{Method: http.MethodGet, Pattern: p + "/os-quota-class-sets/{class}", Policy: admin, Handler: v(s.showQuotaClassHTTP)},
		{Method: http.MethodPut, Pattern: p + "/os-quota-class-sets/{class}", Policy: admin, Handler: v(s.updateQuotaClassHTTP)},
		{Method: http.MethodPost, Pattern: p + "/os-volume-transfer", Policy: write, Handler: v(s.createTransferHTTP)},
		{Method: http.MethodGet, Pattern: p + "/os-volume-transfer", Policy: read, Handler: v(s.listTransfersHTTP(false))},
		{Method: http.MethodGet, Pattern: p + "/os-volume-transfer/detail", Policy: read, Handler: v(s.listTransfersHTTP(true))},
		{Method: http.MethodGet, Pattern: p + "/os-volume-transfer/{transfer_id}", Policy: read, Handler: v(s.showTransferHTTP)},
		{Method: http.MethodDelete, Pattern: p + "/os-volume-transfer/{transfer_id}", Policy: write, Handler: v(s.deleteTransferHTTP)},
		{Method: http.MethodPost, Pattern: p + "/os-volume-transfer/{transfer_id}/accept", Policy: write, Handler: v(s.acceptTransferHTTP)},
		{Method: http.MethodGet, Pattern: p + "/limits", Policy: read, Handler: v(s.limitsHTTP)},
		{Method: http.MethodGet, Pattern: p + "/os-availability-zone", Policy: read, Handler: v(s.zonesHTTP)},
		{Method: http.MethodGet, Pattern: p + "/extensions", Policy: read, Handler: v(s.extensionsHTTP)},
	}
	for _, kind := range []string{"volumes", "snapshots"} {
		id := "{volume_id}"
		if kind == "snapshots" {
			id = "{snapshot_id}"
		}
		m := p + "/" + kind + "/" + id + "/metadata"
		rts = append(rts,
			httpapi.Route{Method: http.MethodGet, Pattern: m, Policy: read, Handler: v(s.metadataHTTP(kind, "list"))},
			httpapi.Route{Method: http.MethodPost, Pattern: m, Policy: write, Handler: v(s.metadataHTTP(kind, "merge"))},
			httpapi.Route{Method: http.MethodPut, Pattern: m, Policy: write, Handler: v(s.metadataHTTP(kind, "replace"))},
			httpapi.Route{Method: http.MethodGet, Pattern: m + "/{key}", Policy: read, Handler: v(s.metadataHTTP(kind, "show"))},
			httpapi.Route{Method: http.MethodPut, Pattern: m + "/{key}", Policy: write, Handler: v(s.metadataHTTP(kind, "set"))},
			httpapi.Route{Method: http.MethodDelete, Pattern: m + "/{key}", Policy: write, Handler: v(s.metadataHTTP(kind, "delete"))},
		)
	}
	for _, u := range unbuilt {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			rts = append(rts, httpapi.Route{Method: m, Pattern: p + "/" + u, Policy: read, Handler: v(notImplemented)},
				httpapi.Route{Method: m, Pattern: p + "/" + u + "/", Policy: read, Handler: v(notImplemented)})
		}
	}
	return rts
}
