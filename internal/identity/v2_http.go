package identity

import (
	"context"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Keystone v2.0 handlers; v2.go authenticates.

func (s *Service) createTokenV2(w http.ResponseWriter, r *http.Request) error {
	var req v2AuthRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	info, err := s.authenticateV2(r.Context(), &req)
	if err != nil {
		return err
	}
	body, err := s.accessWire(r.Context(), info)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

type v2Endpoint struct {
	AdminURL    string `json:"adminURL"`
	Region      string `json:"region"`
	InternalURL string `json:"internalURL"`
	ID          string `json:"id"`
	PublicURL   string `json:"publicURL"`
}

type v2Service struct {
	Endpoints      []v2Endpoint `json:"endpoints"`
	EndpointsLinks []string     `json:"endpoints_links"`
	Type           string       `json:"type"`
	Name           string       `json:"name"`
}

// accessWire renders a token in v2.0's {"access": ...} shape.
func (s *Service) accessWire(ctx context.Context, info *tokenInfo) (map[string]any, error) {
	tok := map[string]any{
		"id": info.token, "issued_at": isoTime(info.issuedAt),
		"expires": info.expiresAt.UTC().Format("2006-01-02T15:04:05Z"), "audit_ids": info.auditIDs,
	}
	catalog := []v2Service{}
	if p := info.project; p != nil {
		tok["tenant"] = map[string]any{"id": p.ID, "name": p.Name, "description": p.Description, "enabled": p.Enabled}
		entries, err := s.catalogFor(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			svc := v2Service{EndpointsLinks: []string{}, Type: e.Type, Name: e.Name}
			if len(e.Endpoints) > 0 {
				url := e.Endpoints[0].URL
				svc.Endpoints = []v2Endpoint{{AdminURL: url, InternalURL: url, PublicURL: url,
					Region: s.opts.Region, ID: e.Endpoints[0].ID}}
			}
			catalog = append(catalog, svc)
		}
	}
	roles := []map[string]string{}
	roleIDs := []string{}
	isAdmin := 0 // Keystone v2.0 always sent 0 here
	for _, role := range info.roles {
		roles = append(roles, map[string]string{"name": role.Name})
		roleIDs = append(roleIDs, role.ID)
	}
	return map[string]any{"access": map[string]any{
		"token":          tok,
		"serviceCatalog": catalog,
		"user": map[string]any{"id": info.user.ID, "name": info.user.Name, "username": info.user.Name,
			"roles": roles, "roles_links": []string{}},
		"metadata": map[string]any{"is_admin": isAdmin, "roles": roleIDs},
	}}, nil
}

// validateTokenV2 is GET (and HEAD) /v2.0/tokens/{token_id}: the admin
// API old auth middleware used.
func (s *Service) validateTokenV2(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token_id")
	info, err := s.validate(r.Context(), tok)
	if errors.Is(err, errInvalidToken) {
		return notFound("token", tok)
	}
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	body, err := s.accessWire(r.Context(), info)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

func (s *Service) revokeTokenV2(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token_id")
	info, err := s.validate(r.Context(), tok)
	if errors.Is(err, errInvalidToken) {
		return notFound("token", tok)
	}
	if err != nil {
		return err
	}
	if err := s.revoke(r.Context(), info); err != nil {
		return err
	}
	return noContent(w)
}

// listTenantsV2 is GET /v2.0/tenants: the caller's projects.
func (s *Service) listTenantsV2(w http.ResponseWriter, r *http.Request) error {
	projects, err := s.TenantsV2(r.Context(), policy.FromContext(r.Context()))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, pr := range projects {
		out = append(out, map[string]any{"id": pr.ID, "name": pr.Name, "description": pr.Description, "enabled": pr.Enabled})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tenants": out, "tenants_links": []any{}})
}
