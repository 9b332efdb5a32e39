package image

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func baseURLOf(r *http.Request) string { return httpapi.BaseURL(r) }

// novaStatus maps Glance statuses to Nova's (nova/api/openstack/compute/views/images.py).
func novaStatus(s Status) string {
	switch s {
	case StatusQueued, StatusSaving, StatusUploading, StatusImporting:
		return "SAVING"
	case StatusActive:
		return "ACTIVE"
	case StatusKilled:
		return "ERROR"
	case StatusDeleted:
		return "DELETED"
	}
	return "UNKNOWN"
}

func novaProgress(s Status) int {
	switch s {
	case StatusQueued:
		return 25
	case StatusSaving:
		return 50
	case StatusActive:
		return 100
	}
	return 0
}

// glanceStatuses is the reverse map for the ?status= filter.
func glanceStatuses(nova string) []string {
	switch strings.ToUpper(nova) {
	case "SAVING":
		return []string{"queued", "saving", "uploading", "importing"}
	case "ACTIVE":
		return []string{"active"}
	case "ERROR":
		return []string{"killed"}
	case "DELETED":
		return []string{"deleted", "pending_delete"}
	}
	return []string{strings.ToLower(nova)}
}

type novaLink struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
	Type string `json:"type,omitempty"`
}

type novaServerRef struct {
	ID    string     `json:"id"`
	Links []novaLink `json:"links"`
}

type novaImageBody struct {
	ID         string             `json:"id"`
	Name       *string            `json:"name"`
	Links      []novaLink         `json:"links"`
	Created    string             `json:"created,omitempty"`
	Updated    string             `json:"updated,omitempty"`
	Status     string             `json:"status,omitempty"`
	Progress   *int               `json:"progress,omitempty"`
	MinDisk    *int64             `json:"minDisk,omitempty"`
	MinRAM     *int64             `json:"minRam,omitempty"`
	Metadata   *map[string]string `json:"metadata,omitempty"`
	Server     *novaServerRef     `json:"server,omitempty"`
	Size       *int64             `json:"OS-EXT-IMG-SIZE:size,omitempty"`
	DiskConfig string             `json:"OS-DCF:diskConfig,omitempty"`
}

// novaBase returns the self and bookmark URL prefixes of a request, as
// the compute service that routed it builds them (…/compute/v2.1 and
// …/compute, or …/compute/v2/{tenant} and …/compute/{tenant}).
func novaBase(r *http.Request) (self, bookmark string) {
	if f, ok := r.Context().Value(linkBaseKey{}).(func(*http.Request) (string, string)); ok {
		return f(r)
	}
	base := baseURLOf(r) + "/compute"
	return base + "/v2.1", base
}

func novaImage(r *http.Request, im *Image, detail bool) novaImageBody {
	self, bookmark := novaBase(r)
	b := novaImageBody{ID: im.ID, Name: im.Name, Links: []novaLink{
		{Href: self + "/images/" + im.ID, Rel: "self"},
		{Href: bookmark + "/images/" + im.ID, Rel: "bookmark"},
		{Href: baseURLOf(r) + "/image/images/" + im.ID, Rel: "alternate", Type: "application/vnd.openstack.image"},
	}}
	if !detail {
		return b
	}
	progress := novaProgress(im.Status)
	minDisk, minRAM := im.MinDisk, im.MinRAM
	b.Created, b.Updated = glanceTime(im.CreatedAt), glanceTime(im.UpdatedAt)
	b.Status, b.Progress, b.MinDisk, b.MinRAM = novaStatus(im.Status), &progress, &minDisk, &minRAM
	md := im.Properties
	if md == nil {
		md = map[string]string{}
	}
	b.Metadata = &md
	size := int64(0)
	if im.Size != nil {
		size = *im.Size
	}
	b.Size = &size
	if v, ok := im.Properties["auto_disk_config"]; ok {
		if on, _ := strconv.ParseBool(v); on {
			b.DiskConfig = "AUTO"
		} else {
			b.DiskConfig = "MANUAL"
		}
	}
	if sid := im.Properties["instance_uuid"]; sid != "" {
		b.Server = &novaServerRef{ID: sid, Links: []novaLink{
			{Href: self + "/servers/" + sid, Rel: "self"},
			{Href: bookmark + "/servers/" + sid, Rel: "bookmark"},
		}}
	}
	return b
}
