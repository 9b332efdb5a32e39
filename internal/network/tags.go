package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Neutron's tag limits (extensions/tagging.py).
const (
	maxTagLen   = 255
	maxTagCount = 50
)

// tagged is a resource kind that takes tags: its table and how to read
// its project and tags as the caller may see them.
type tagged struct {
	table, singular string
	get             func(ctx context.Context, q store.Querier, sc scope, id string) (project string, tags []string, err error)
}

var taggable = map[string]tagged{
	"networks": {"networks", "network", func(ctx context.Context, q store.Querier, sc scope, id string) (string, []string, error) {
		n, err := getNetwork(ctx, q, sc, id)
		if err != nil {
			return "", nil, err
		}
		return n.ProjectID, n.Tags, nil
	}},
	"subnets": {"subnets", "subnet", func(ctx context.Context, q store.Querier, sc scope, id string) (string, []string, error) {
		s, err := getSubnet(ctx, q, sc, id)
		if err != nil {
			return "", nil, err
		}
		return s.ProjectID, s.Tags, nil
	}},
	"ports": {"ports", "port", func(ctx context.Context, q store.Querier, sc scope, id string) (string, []string, error) {
		p, err := getPort(ctx, q, sc, id)
		if err != nil {
			return "", nil, err
		}
		return p.ProjectID, p.Tags, nil
	}},
	"routers": {"routers", "router", func(ctx context.Context, q store.Querier, sc scope, id string) (string, []string, error) {
		r, err := getRouter(ctx, q, sc, id)
		if err != nil {
			return "", nil, err
		}
		return r.ProjectID, r.Tags, nil
	}},
	"security-groups": {"security_groups", "security_group", func(ctx context.Context, q store.Querier, sc scope, id string) (string, []string, error) {
		g, err := getGroup(ctx, q, sc, id)
		if err != nil {
			return "", nil, err
		}
		return g.ProjectID, g.Tags, nil
	}},
	"floatingips": {"floatingips", "floatingip", func(ctx context.Context, q store.Querier, sc scope, id string) (string, []string, error) {
		f, err := getFIP(ctx, q, sc, id)
		if err != nil {
			return "", nil, err
		}
		return f.ProjectID, f.Tags, nil
	}},
}

func validateTag(t string) error {
	if len([]rune(t)) > maxTagLen {
		return invalidInput("'%s' exceeds maximum length of %d", t, maxTagLen)
	}
	return nil
}

// Tags returns a resource's tags.
func (s *Service) Tags(ctx context.Context, p *policy.Principal, kind, id string) ([]string, error) {
	t, ok := taggable[kind]
	if !ok {
		return nil, hiddenNotFound()
	}
	_, tags, err := t.get(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFoundErr("TagResourceNotFound", "Resource %s %s could not be found.", t.singular, id)
	}
	return tagsOrEmpty(tags), err
}

// ChangeTags replaces (set) or edits (change) a resource's tags.
func (s *Service) ChangeTags(ctx context.Context, p *policy.Principal, kind, id string, change func([]string) ([]string, error)) ([]string, error) {
	t, ok := taggable[kind]
	if !ok {
		return nil, hiddenNotFound()
	}
	sc := scopeOf(p)
	var out []string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		project, tags, err := t.get(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFoundErr("TagResourceNotFound", "Resource %s %s could not be found.", t.singular, id)
		}
		if err != nil {
			return err
		}
		if !sc.owns(project) {
			return notAuthorized("rule:update_" + t.singular + "_tags")
		}
		if out, err = change(tagsOrEmpty(tags)); err != nil {
			return err
		}
		if len(out) > maxTagCount {
			return badRequestRes(t.singular, "The number of tags exceed the per-resource limit of %d", maxTagCount)
		}
		_, err = tx.ExecContext(ctx, "UPDATE "+t.table+" SET tags = $2, revision_number = revision_number + 1, updated_at = $3 WHERE id = $1",
			id, toJSON(tagsOrEmpty(out)), store.Now())
		return err
	})
	return out, err
}

func badRequestRes(resource, format string, args ...any) error {
	return neutronErr(fault.Invalid, "BadRequest", nil, "Bad "+resource+" request: "+format+".", args...)
}

func tagsBody(r *http.Request) ([]string, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var body struct {
		Tags *[]any `json:"tags"`
	}
	if json.Unmarshal(b, &body) != nil || body.Tags == nil {
		return nil, invalidInput("Invalid tags body")
	}
	var out []string
	for _, v := range *body.Tags {
		s, ok := v.(string)
		if !ok {
			return nil, invalidInput("'%s' is not a valid string", pyValue(v))
		}
		if err := validateTag(s); err != nil {
			return nil, err
		}
		if slices.Contains(out, s) {
			return nil, invalidInput("Duplicate items in the list: '%s'", s)
		}
		out = append(out, s)
	}
	return out, nil
}

func (s *Service) listTagsHTTP(w http.ResponseWriter, r *http.Request) error {
	tags, err := s.Tags(r.Context(), principal(r), r.PathValue("kind"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tags": tags})
}

func (s *Service) checkTagHTTP(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	if err := validateTag(tag); err != nil {
		return err
	}
	tags, err := s.Tags(r.Context(), principal(r), r.PathValue("kind"), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !slices.Contains(tags, tag) {
		return notFoundErr("TagNotFound", "Tag %s could not be found.", tag)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) replaceTagsHTTP(w http.ResponseWriter, r *http.Request) error {
	tags, err := tagsBody(r)
	if err != nil {
		return err
	}
	out, err := s.ChangeTags(r.Context(), principal(r), r.PathValue("kind"), r.PathValue("id"),
		func([]string) ([]string, error) { return tags, nil })
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tags": tagsOrEmpty(out)})
}

func (s *Service) addTagsHTTP(w http.ResponseWriter, r *http.Request) error {
	tags, err := tagsBody(r)
	if err != nil {
		return err
	}
	out, err := s.ChangeTags(r.Context(), principal(r), r.PathValue("kind"), r.PathValue("id"), func(cur []string) ([]string, error) {
		for _, t := range tags {
			if !slices.Contains(cur, t) {
				cur = append(cur, t)
			}
		}
		return cur, nil
	})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"tags": out})
}

func (s *Service) addTagHTTP(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	if err := validateTag(tag); err != nil {
		return err
	}
	_, err := s.ChangeTags(r.Context(), principal(r), r.PathValue("kind"), r.PathValue("id"), func(cur []string) ([]string, error) {
		if !slices.Contains(cur, tag) {
			cur = append(cur, tag)
		}
		return cur, nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Service) deleteTagHTTP(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	_, err := s.ChangeTags(r.Context(), principal(r), r.PathValue("kind"), r.PathValue("id"), func(cur []string) ([]string, error) {
		i := slices.Index(cur, tag)
		if i < 0 {
			return nil, notFoundErr("TagNotFound", "Tag %s could not be found.", tag)
		}
		return slices.Delete(cur, i, i+1), nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) deleteTagsHTTP(w http.ResponseWriter, r *http.Request) error {
	_, err := s.ChangeTags(r.Context(), principal(r), r.PathValue("kind"), r.PathValue("id"),
		func([]string) ([]string, error) { return []string{}, nil })
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
