package identity

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// /v3/policies: Keystone's (deprecated) store of policy blobs, which
// services may fetch; stratus keeps and returns them and enforces its own
// policy (routes.go), as Keystone does not enforce these blobs either.

// PolicyBlob is a stored policy document.
type PolicyBlob struct {
	ID, Type, Blob string
	Extra          map[string]any
}

const policyBlobCols = "id, type, blob, extra"

func scanPolicyBlob(sc interface{ Scan(...any) error }) (*PolicyBlob, error) {
	var p PolicyBlob
	var extra string
	if err := sc.Scan(&p.ID, &p.Type, &p.Blob, &extra); err != nil {
		return nil, store.Map(err)
	}
	p.Extra = decodeExtra(extra)
	return &p, nil
}

func getPolicyBlob(ctx context.Context, q store.Querier, id string) (*PolicyBlob, error) {
	return scanPolicyBlob(q.QueryRowContext(ctx, "SELECT "+policyBlobCols+" FROM identity_policies WHERE id = $1", id))
}

func listPolicyBlobs(ctx context.Context, q store.Querier, _ filter) ([]*PolicyBlob, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+policyBlobCols+" FROM identity_policies ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPolicyBlob)
}

func savePolicyBlob(ctx context.Context, q store.Querier, p *PolicyBlob) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_policies SET type = $2, blob = $3, extra = $4 WHERE id = $1", p.ID, p.Type, p.Blob, encodeExtra(p.Extra))
	return store.Map(err)
}

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
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(r.Context(), "INSERT INTO identity_policies ("+policyBlobCols+", created_at) VALUES ($1, $2, $3, $4, $5)",
			p.ID, p.Type, p.Blob, encodeExtra(p.Extra), s.nowMicro())
		return store.Map(err)
	})
	if err != nil {
		return err
	}
	return policyBlobKind.respond(w, r, http.StatusCreated, p)
}
