package compute

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// metaStates are the vm states in which Nova lets server metadata change.
var metaStates = []string{vmActive, vmPaused, vmSuspended, vmStopped}

// SetMetadata merges md into a server's metadata, or replaces it
// (replace), within the metadata_items quota.
func (s *Service) SetMetadata(ctx context.Context, p *policy.Principal, id string, md map[string]string, replace bool) (map[string]string, error) {
	sv, err := s.startTask(ctx, p, id, check{action: "update metadata", vms: metaStates, tasks: idle, lock: true}, "", func(sv *Server) error {
		next := md
		if !replace {
			next = map[string]string{}
			for k, v := range sv.Metadata {
				next[k] = v
			}
			for k, v := range md {
				next[k] = v
			}
		}
		if err := s.checkMetadataQuota(ctx, sv.ProjectID, len(next)); err != nil {
			return err
		}
		sv.Metadata = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sv.Metadata, nil
}

// DeleteMetadata removes one metadata item.
func (s *Service) DeleteMetadata(ctx context.Context, p *policy.Principal, id, key string) error {
	sv, err := s.Server(ctx, p, id)
	if err != nil {
		return err
	}
	if _, ok := sv.Metadata[key]; !ok {
		return fault.NotFoundf("Metadata item was not found")
	}
	_, err = s.startTask(ctx, p, id, check{action: "delete metadata", vms: metaStates, tasks: idle, lock: true}, "", func(sv *Server) error {
		delete(sv.Metadata, key)
		return nil
	})
	return err
}

// metaQuotaErr words a metadata quota refusal: 403 on v2.1 (Nova v2.1),
// 413 overLimit on K5's paths (K5 1.2.6.58, Nova v2).
func metaQuotaErr(r *http.Request, err error) error {
	fe := fault.As(err)
	if fe == nil || fe.Kind != fault.OverLimit {
		return err
	}
	if prefixOf(r).tenant != "" {
		return fault.OverLimitf("%s", fe.Message)
	}
	return fault.Forbiddenf("%s", fe.Message)
}

func (s *Service) listMetadata(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"metadata": sv.Metadata})
}

// setMetadata is PUT (replace) and POST (merge) /servers/{id}/metadata;
// K5 documents 202 for POST on its paths, Nova answers 200.
func (s *Service) setMetadata(replace bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		top, _, err := body(r, "metadata")
		if err != nil {
			return err
		}
		md, err := parseMetadata("metadata", top["metadata"])
		if err != nil {
			return err
		}
		out, err := s.SetMetadata(r.Context(), principal(r), r.PathValue("server_id"), md, replace)
		if err != nil {
			return metaQuotaErr(r, err)
		}
		status := http.StatusOK
		if !replace && prefixOf(r).tenant != "" {
			status = http.StatusAccepted
		}
		return httpapi.WriteJSON(w, status, map[string]any{"metadata": out})
	}
}

func (s *Service) getMetadataItem(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	v, ok := sv.Metadata[key]
	if !ok {
		return fault.NotFoundf("Metadata item was not found")
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"meta": map[string]string{key: v}})
}

func (s *Service) setMetadataItem(w http.ResponseWriter, r *http.Request) error {
	top, _, err := body(r, "meta")
	if err != nil {
		return err
	}
	meta, err := parseMetadata("meta", top["meta"])
	if err != nil {
		return err
	}
	if len(meta) != 1 {
		return schemaErr("meta", top["meta"], pyRepr(top["meta"])+" has too many properties")
	}
	key := r.PathValue("key")
	if _, ok := meta[key]; !ok {
		return fault.Invalidf("Request body and URI mismatch")
	}
	if _, err := s.SetMetadata(r.Context(), principal(r), r.PathValue("server_id"), meta, false); err != nil {
		return metaQuotaErr(r, err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"meta": meta})
}

func (s *Service) deleteMetadataItem(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteMetadata(r.Context(), principal(r), r.PathValue("server_id"), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Server tags (2.26).

func (s *Service) tagsServer(r *http.Request) (*Server, error) {
	if !atLeast(r, 26) {
		return nil, fault.NotFoundf("The resource could not be found.")
	}
	return s.Server(r.Context(), principal(r), r.PathValue("server_id"))
}

// setTags changes a server's tags with fn (Nova checks no state, only
// that the server is not building or being deleted).
func (s *Service) setTags(r *http.Request, fn func(tags []string) ([]string, error)) (*Server, error) {
	if _, err := s.tagsServer(r); err != nil {
		return nil, err
	}
	id := r.PathValue("server_id")
	return s.mutate(r.Context(), id, func(tx *sql.Tx, sv *Server) error {
		if sv.VMState == vmBuilding || sv.task() == taskDeleting {
			return conflict("update tags", id, "vm_state", sv.VMState)
		}
		tags, err := fn(append([]string(nil), sv.Tags...))
		if err != nil {
			return err
		}
		if len(tags) > 50 {
			return fault.Invalidf("The number of tags exceeded the per-server limit 50")
		}
		sv.Tags = tags
		return nil
	})
}

func (s *Service) listTags(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.tagsServer(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tags": sv.Tags})
}

func (s *Service) replaceTags(w http.ResponseWriter, r *http.Request) error {
	top, err := decodeBody(r)
	if err != nil {
		return err
	}
	m, err := object("", top)
	if err != nil {
		return err
	}
	if err := required("", m, "tags"); err != nil {
		return err
	}
	if err := only("", m, "tags"); err != nil {
		return err
	}
	tags, err := parseTags("tags", m["tags"])
	if err != nil {
		return err
	}
	sv, err := s.setTags(r, func([]string) ([]string, error) { return tags, nil })
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tags": sv.Tags})
}

func (s *Service) deleteAllTags(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.setTags(r, func([]string) ([]string, error) { return []string{}, nil }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) checkTag(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.tagsServer(r)
	if err != nil {
		return err
	}
	tag := r.PathValue("tag")
	if !contains(sv.Tags, tag) {
		return fault.NotFoundf("Tag '%s' could not be found.", tag)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) addTag(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	if _, err := parseTags("tag", []any{tag}); err != nil {
		return err
	}
	existed := false
	sv, err := s.setTags(r, func(tags []string) ([]string, error) {
		if existed = contains(tags, tag); existed {
			return tags, nil
		}
		return append(tags, tag), nil
	})
	if err != nil {
		return err
	}
	if existed {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Location", selfLinks(r, "servers", sv.ID)[0].Href+"/tags/"+tag)
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Service) deleteTag(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	_, err := s.setTags(r, func(tags []string) ([]string, error) {
		for i, t := range tags {
			if t == tag {
				return append(tags[:i], tags[i+1:]...), nil
			}
		}
		return nil, fault.NotFoundf("Tag '%s' could not be found.", tag)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
