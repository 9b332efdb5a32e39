package identity

import (
	"context"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Domains. In Keystone a domain is a project acting as a domain
// (is_domain); here domains have their own table and the projects API
// shows them as such projects (project_http.go).

func (s *Service) listDomains(w http.ResponseWriter, r *http.Request) error {
	return domainKind.listed(w, r, s.db.R(), filter{})
}

var domainKind = &entity[Domain]{
	name: "domain", param: "domain_id", table: "identity_domains",
	fetch: getDomain, list: listDomains, apply: applyDomain, save: saveDomain, wire: domainWire,
	conflict: func(d *Domain) error { return conflict("domain", d.Name, "") },
	filters:  []string{"name", "enabled"},
	more: func(ctx context.Context, q store.Querier, d *Domain) (err error) {
		d.Tags, err = projectTags(ctx, q, d.ID)
		return
	},
}

func (s *Service) domain(ctx context.Context, q store.Querier, id string) (*Domain, error) {
	return domainKind.load(ctx, q, id)
}

// domainFields are the attributes Keystone models; others are extra.
var domainFields = map[string]bool{"id": true, "name": true, "description": true, "enabled": true, "links": true,
	"tags": true, "options": true, "explicit_domain_id": true}

func applyDomain(o object, d *Domain, create bool) error {
	if err := o.common(create, maxProjectName, &d.Name, &d.Description, &d.Enabled); err != nil {
		return err
	}
	if err := o.tags(&d.Tags); err != nil {
		return err
	}
	o.extra(d.Extra, domainFields)
	return nil
}

func (s *Service) createDomain(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "domain")
	if err != nil {
		return err
	}
	d, err := s.newDomain(r.Context(), o)
	if err != nil {
		return err
	}
	return domainKind.respond(w, r, http.StatusCreated, d)
}

// newDomain creates a domain from a request body (of POST /v3/domains, or
// of POST /v3/projects with is_domain).
func (s *Service) newDomain(ctx context.Context, o object) (*Domain, error) {
	d := &Domain{ID: newID(), Enabled: true, Extra: map[string]any{}}
	if err := applyDomain(o, d, true); err != nil {
		return nil, err
	}
	if id, ok, _ := o.str("explicit_domain_id"); ok && id != "" {
		d.ID = id
	}
	if err := s.CreateDomain(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}
