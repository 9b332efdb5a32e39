package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Project tags, as Keystone: up to 80 per project, each 1–255 characters
// without "," or "/". Domains (projects acting as domains) keep tags in
// the same table. project_tags_http.go decodes and renders.

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

// changeTags loads project id, applies change to its tags and saves them,
// in one transaction.
func (s *Service) changeTags(ctx context.Context, id string, change func(tags []string) ([]string, error)) ([]string, error) {
	var out []string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.project(ctx, tx, id)
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

// ProjectTags are the tags of project id.
func (s *Service) ProjectTags(ctx context.Context, id string) ([]string, error) {
	p, err := s.project(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	return p.Tags, nil
}

// ReplaceProjectTags sets the tags of project id (duplicates dropped) and
// returns them.
func (s *Service) ReplaceProjectTags(ctx context.Context, id string, tags []string) ([]string, error) {
	return s.changeTags(ctx, id, func([]string) ([]string, error) {
		var out []string
		for _, t := range tags {
			if !containsString(out, t) {
				out = append(out, t)
			}
		}
		return out, nil
	})
}

// ClearProjectTags removes every tag of project id.
func (s *Service) ClearProjectTags(ctx context.Context, id string) error {
	_, err := s.changeTags(ctx, id, func([]string) ([]string, error) { return []string{}, nil })
	return err
}

func tagNotFound(t string) *fault.Error { return fault.NotFoundf("Could not find project tag: %s.", t) }

// CheckProjectTag is nil when project id has the tag.
func (s *Service) CheckProjectTag(ctx context.Context, id, tag string) error {
	tags, err := s.ProjectTags(ctx, id)
	if err != nil {
		return err
	}
	if !containsString(tags, tag) {
		return tagNotFound(tag)
	}
	return nil
}

// AddProjectTag tags project id (again is no error).
func (s *Service) AddProjectTag(ctx context.Context, id, tag string) error {
	if err := checkTag(tag); err != nil {
		return err
	}
	_, err := s.changeTags(ctx, id, func(tags []string) ([]string, error) {
		if containsString(tags, tag) {
			return tags, nil
		}
		return append(tags, tag), nil
	})
	return err
}

// RemoveProjectTag removes a tag of project id; a tag it lacks is a 404.
func (s *Service) RemoveProjectTag(ctx context.Context, id, tag string) error {
	_, err := s.changeTags(ctx, id, func(tags []string) ([]string, error) {
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
	return err
}
