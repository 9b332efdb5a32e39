package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// /v3/policies handlers (policy_blob.go is the Go API and its queries).

var policyBlobFields = map[string]bool{"id": true, "type": true, "blob": true, "links": true}

func applyPolicyBlob(o object, p *PolicyBlob, create bool) error {
	for _, f := range []struct {
		key string
		dst *string
	}{{"type", &p.Type}, {"blob", &p.Blob}} {
		v, ok, err := o.str(f.key)
		if err != nil {
			return err
		}
		if ok {
			*f.dst = v
		} else if create {
			return fault.Invalidf("'%s' is a required property", f.key)
		}
	}
	if len(p.Type) > 255 {
		return fault.Invalidf("Invalid input for field 'type': %q is too long", p.Type)
	}
	o.extra(p.Extra, policyBlobFields)
	return nil
}

func policyBlobWire(r *http.Request, p *PolicyBlob) map[string]any {
	m := withExtra(p.Extra)
	m["id"], m["type"], m["blob"], m["links"] = p.ID, p.Type, p.Blob, selfLinks(r, "/policies/"+p.ID)
	return m
}

var policyBlobKind = &entity[PolicyBlob]{
	name: "policy", param: "policy_id", table: "identity_policies",
	fetch: getPolicyBlob, list: listPolicyBlobs, apply: applyPolicyBlob, save: savePolicyBlob, wire: policyBlobWire,
	conflict: func(*PolicyBlob) error { return fault.Conflictf("Conflict occurred attempting to store policy.") },
	filters:  []string{"type"},
}

func (s *Service) listPolicyBlobs(w http.ResponseWriter, r *http.Request) error {
	// Keystone lists policies with their plural "policies".
	return policyBlobKind.listedAs(w, r, s.db.R(), filter{}, "policies")
}

func (s *Service) createPolicyBlob(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "policy")
	if err != nil {
		return err
	}
	p := &PolicyBlob{ID: newID(), Extra: map[string]any{}}
	if err := applyPolicyBlob(o, p, true); err != nil {
		return err
	}
	if err := s.CreatePolicyBlob(r.Context(), p); err != nil {
		return err
	}
	return policyBlobKind.respond(w, r, http.StatusCreated, p)
}
