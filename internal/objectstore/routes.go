package objectstore

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Group is the service's routes under catalog.ObjectStorePrefix. Every
// route is policy.Optional: a token is validated when sent, and the
// handler decides from the account owner, ACLs and temp URLs.
func (s *Service) Group() httpapi.Group {
	return httpapi.Group{
		Name:             "object-store",
		Prefix:           catalog.ObjectStorePrefix,
		Dialect:          httpapi.Swift,
		Routes:           s.Routes(),
		RequestIDHeaders: []string{"X-Trans-Id"},
		RawPaths:         true, // object names may hold "//" and dot segments
	}
}

// RootGroup serves GET /info at the host root too: Swift clients look for
// capabilities there (swiftclient joins "/info" to the storage URL's host).
func (s *Service) RootGroup() httpapi.Group {
	g := s.Group()
	g.Prefix, g.RoutesOnly, g.RawPaths = "", true, false
	g.Routes = []httpapi.Route{{Method: "GET", Pattern: "/info", Policy: policy.Public, Handler: ts(s.info)}}
	return g
}

// Routes is the route table. GET routes also answer HEAD.
func (s *Service) Routes() []httpapi.Route {
	const (
		acct = "/v1/{account}"
		cont = "/v1/{account}/{container}"
		obj  = "/v1/{account}/{container}/{object...}"
	)
	opt := policy.Optional
	return []httpapi.Route{
		{Method: "GET", Pattern: "/info", Policy: policy.Public, Handler: ts(s.info)},

		{Method: "GET", Pattern: "/healthcheck", Policy: policy.Public, Handler: ts(healthcheck)},

		{Method: "GET", Pattern: acct, Policy: opt, Handler: ts(s.listContainersHTTP)},
		{Method: "POST", Pattern: acct, Policy: opt, Handler: ts(s.postAccount), BodyLimit: 64 << 20},
		{Method: "DELETE", Pattern: acct, Policy: opt, Handler: ts(s.deleteAccount), BodyLimit: 64 << 20},
		{Method: "PUT", Pattern: acct, Policy: opt, Handler: ts(s.putAccount), Streaming: true},
		// "/v1/AUTH_x/" is the account too, as in Swift.
		{Method: "GET", Pattern: acct + "/{$}", Policy: opt, Handler: ts(s.listContainersHTTP)},
		{Method: "POST", Pattern: acct + "/{$}", Policy: opt, Handler: ts(s.postAccount), BodyLimit: 64 << 20},
		{Method: "DELETE", Pattern: acct + "/{$}", Policy: opt, Handler: ts(s.deleteAccount), BodyLimit: 64 << 20},
		{Method: "PUT", Pattern: acct + "/{$}", Policy: opt, Handler: ts(s.putAccount), Streaming: true},

		{Method: "GET", Pattern: cont, Policy: opt, Handler: ts(s.listObjects)},
		{Method: "PUT", Pattern: cont, Policy: opt, Handler: ts(s.putContainer), Streaming: true},
		{Method: "POST", Pattern: cont, Policy: opt, Handler: ts(s.postContainer)},
		{Method: "DELETE", Pattern: cont, Policy: opt, Handler: ts(s.deleteContainer)},

		{Method: "GET", Pattern: obj, Policy: opt, Handler: ts(s.getObject)},
		{Method: "PUT", Pattern: obj, Policy: opt, Handler: ts(s.putObject), Streaming: true},
		{Method: "POST", Pattern: obj, Policy: opt, Handler: ts(s.postObject)},
		{Method: "DELETE", Pattern: obj, Policy: opt, Handler: ts(s.deleteObjectHTTP)},
		{Method: "COPY", Pattern: obj, Policy: opt, Handler: ts(s.copyVerb)},
	}
}

// ts stamps every response with X-Timestamp (handlers overwrite it with
// the resource's own timestamp) and a Swift-shaped transaction id.
func ts(h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		hd := w.Header()
		hd.Set("X-Timestamp", swiftTimestamp(nowMicro()))
		tx := transID(httpapi.RequestID(r.Context()), time.Now())
		hd.Set("X-Trans-Id", tx)
		hd.Set("X-Openstack-Request-Id", tx)
		err := h(w, r)
		if fe := fault.As(err); fe != nil && (bareBody(fe) || ownType(fe)) {
			writeBare(w, r, fe)
		}
		return err
	}
}

// transID is Swift's transaction id, "tx" + 21 hex digits + "-" + the
// Unix time in 10 hex digits, made from the request id so that log lines
// (which carry "req-<uuid>") can be matched: the 21 digits are the uuid's.
func transID(requestID string, now time.Time) string {
	hex := strings.ReplaceAll(strings.TrimPrefix(requestID, "req-"), "-", "")
	for len(hex) < 21 {
		hex += "0"
	}
	return fmt.Sprintf("tx%s-%010x", hex[:21], now.Unix())
}

// healthcheck is Swift's healthcheck middleware: 200 "OK".
func healthcheck(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.WriteString(w, "OK")
	}
	return nil
}

// info is GET /info: the cluster's capabilities and limits.
func (s *Service) info(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"swift": map[string]any{
			"version":                   "2.30.0",
			"max_file_size":             maxFileSize,
			"max_meta_name_length":      maxMetaNameLength,
			"max_meta_value_length":     maxMetaValueLength,
			"max_meta_count":            maxMetaCount,
			"max_meta_overall_size":     maxMetaOverallSize,
			"max_header_size":           maxHeaderSize,
			"max_object_name_length":    maxObjectNameLength,
			"container_listing_limit":   containerListingLimit,
			"account_listing_limit":     accountListingLimit,
			"max_account_name_length":   maxAccountNameLength,
			"max_container_name_length": maxContainerNameLen,
			"extra_header_count":        0,
			"valid_api_versions":        []string{"v1", "v1.0"},
			"strict_cors_mode":          true,
			"allow_account_management":  false,
			"account_autocreate":        true,
			"policies":                  []map[string]any{{"name": "Policy-0", "aliases": "Policy-0", "default": true}},
		},
		"slo": map[string]any{
			"max_manifest_segments": maxManifestSegments,
			"max_manifest_size":     maxManifestSize,
			"min_segment_size":      1,
			"yield_frequency":       10,
			"allow_async_delete":    false,
		},
		"tempurl": map[string]any{
			"methods":                 s.tempURLMethods,
			"incoming_remove_headers": []string{"x-timestamp"},
			"incoming_allow_headers":  []string{},
			"outgoing_remove_headers": []string{"x-object-meta-*"},
			"outgoing_allow_headers":  []string{"x-object-meta-public-*"},
			"allowed_digests":         []string{"sha1", "sha256", "sha512"},
		},
		"bulk_delete": map[string]any{
			"max_deletes_per_request": maxBulkDeletes,
			"max_failed_deletes":      maxFailedDeletes,
		},
		"bulk_upload": map[string]any{
			"max_containers_per_extraction": 10000,
			"max_failed_extractions":        1000,
		},
		"versioned_writes":  map[string]any{"allowed_flags": []string{"x-versions-location", "x-history-location"}},
		"object_versioning": map[string]any{},
		"symlink":           map[string]any{"symloop_max": symloopMax, "static_links": true},
		"container_quotas":  map[string]any{},
		"staticweb":         map[string]any{},
	})
}
