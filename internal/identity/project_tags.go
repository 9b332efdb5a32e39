package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Project tags, as Keystone: up to 80 per project, each 1–255 characters
// without "," or "/". Domains (projects acting as domains) keep tags in
// the same table.

const maxTags = 80

func checkTag(t string) error {
	if n := utf8.RuneCountInString(t); n == 0 || n > 255 || strings.ContainsAny(t, ",/") {
		b, _ := json.Marshal(t)
		return fault.Invalidf("Invalid input for field 'tags': %s does not match '^[^,/]*$' or is not 1 to 255 characters long", b)
	}
	return nil
}

func checkTags(tags []string) error {
	if len(tags) > maxTags {
		return fault.Invalidf("Invalid input for field 'tags': too many tags (at most %d)", maxTags)
	}
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return err
		}
	}
	return nil
}

// tags reads a "tags" list into dst when present.
func (o object) tags(dst *[]string) error {
	raw, present := o["tags"]
	if !present {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		return typeError("tags", raw, "array")
	}
	tags := []string{}
	for _, v := range list {
		t, ok := v.(string)
		if !ok {
			return typeError("tags", v, "string")
		}
		if !containsString(tags, t) {
			tags = append(tags, t)
		}
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	*dst = tags
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func projectTags(ctx context.Context, q store.Querier, id string) ([]string, error) {
	tags, err := stringColumn(ctx, q, "SELECT tag FROM identity_project_tags WHERE project_id = $1 ORDER BY tag", id)
	if tags == nil {
		tags = []string{}
	}
	return tags, err
}

// setProjectTags replaces a project's (or domain's) tags.
func setProjectTags(ctx context.Context, q store.Querier, id string, tags []string) error {
	if _, err := q.ExecContext(ctx, "DELETE FROM identity_project_tags WHERE project_id = $1", id); err != nil {
		return store.Map(err)
	}
	for _, t := range tags {
		if _, err := q.ExecContext(ctx, "INSERT INTO identity_project_tags (project_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, t); err != nil {
			return store.Map(err)
		}
	}
	return nil
}

func tagsWire(w http.ResponseWriter, r *http.Request, tags []string) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tags": tags, "links": map[string]string{"self": httpapi.BaseURL(r) + r.URL.Path}})
}

// changeTags loads project {project_id}, applies change to its tags and
// saves them, in one transaction.
func (s *Service) changeTags(r *http.Request, change func(tags []string) ([]string, error)) ([]string, error) {
	ctx := r.Context()
	var out []string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.project(ctx, tx, r.PathValue("project_id"))
		if err != nil {
			return err
		}
		if out, err = change(p.Tags); err != nil {
			return err
		}
		if err := checkTags(out); err != nil {
			return err
		}
		return setProjectTags(ctx, tx, p.ID, out)
	})
	return out, err
}

func (s *Service) listProjectTags(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context(), s.db.R(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	return tagsWire(w, r, p.Tags)
}

func (s *Service) replaceProjectTags(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.Tags == nil {
		return fault.Invalidf("'tags' is a required property")
	}
	tags, err := s.changeTags(r, func([]string) ([]string, error) {
		var out []string
		for _, t := range body.Tags {
			if !containsString(out, t) {
				out = append(out, t)
			}
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	return tagsWire(w, r, tags)
}

func (s *Service) clearProjectTags(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.changeTags(r, func([]string) ([]string, error) { return []string{}, nil }); err != nil {
		return err
	}
	return noContent(w)
}

func tagNotFound(t string) *fault.Error { return fault.NotFoundf("Could not find project tag: %s.", t) }

func (s *Service) checkProjectTag(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context(), s.db.R(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	if !containsString(p.Tags, r.PathValue("tag")) {
		return tagNotFound(r.PathValue("tag"))
	}
	return noContent(w)
}

func (s *Service) addProjectTag(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	if err := checkTag(tag); err != nil {
		return err
	}
	_, err := s.changeTags(r, func(tags []string) ([]string, error) {
		if containsString(tags, tag) {
			return tags, nil
		}
		return append(tags, tag), nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", v3URL(r, "/projects/"+r.PathValue("project_id")+"/tags/"+tag))
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Service) removeProjectTag(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	_, err := s.changeTags(r, func(tags []string) ([]string, error) {
		if !containsString(tags, tag) {
			return nil, tagNotFound(tag)
		}
		out := []string{}
		for _, t := range tags {
			if t != tag {
				out = append(out, t)
			}
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}
