package volume

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func (s *Service) metadataHTTP(kind, op string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("volume_id")
		if kind == "snapshots" {
			id = r.PathValue("snapshot_id")
		}
		mop, err := metadataOp(r, op)
		if err != nil {
			return err
		}
		m, err := s.Metadata(r.Context(), principal(r), kind, id, mop)
		if err != nil {
			return err
		}
		switch op {
		case "show":
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"meta": map[string]string{mop.Key: m[mop.Key]}})
		case "set":
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"meta": mop.Set})
		case "delete":
			w.WriteHeader(http.StatusOK)
			return nil
		}
		if m == nil {
			m = map[string]string{}
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"metadata": m})
	}
}

// metadataOp decodes the request of a metadata operation: the body of
// merge, replace and set, and the key in the path.
func metadataOp(r *http.Request, op string) (MetadataOp, error) {
	mop := MetadataOp{Op: op, Key: r.PathValue("key")}
	switch op {
	case "merge", "replace":
		top, err := decodeBodyRaw(r)
		if err != nil {
			return MetadataOp{}, err
		}
		o := object{m: top}
		if !o.has("metadata") {
			return MetadataOp{}, fault.Invalidf("'metadata' is a required property")
		}
		if mop.Set, err = o.metadata("metadata"); err != nil {
			return MetadataOp{}, err
		}
		if mop.Set == nil {
			mop.Set = map[string]string{}
		}
	case "set":
		top, err := decodeBodyRaw(r)
		if err != nil {
			return MetadataOp{}, err
		}
		o := object{m: top}
		if !o.has("meta") {
			return MetadataOp{}, fault.Invalidf("'meta' is a required property")
		}
		if mop.Set, err = o.metadata("meta"); err != nil {
			return MetadataOp{}, err
		}
		if len(mop.Set) > 1 {
			return MetadataOp{}, fault.Invalidf("Request body contains too many items")
		}
		if _, ok := mop.Set[mop.Key]; !ok {
			return MetadataOp{}, fault.Invalidf("Request body and URI mismatch")
		}
	}
	return mop, nil
}
