package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Project tag handlers: /v3/projects/{project_id}/tags[/{tag}]
// (project_tags.go is the Go API).

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

func tagsWire(w http.ResponseWriter, r *http.Request, tags []string) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tags": tags, "links": map[string]string{"self": httpapi.BaseURL(r) + r.URL.Path}})
}

func (s *Service) listProjectTags(w http.ResponseWriter, r *http.Request) error {
	tags, err := s.ProjectTags(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	return tagsWire(w, r, tags)
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
	tags, err := s.ReplaceProjectTags(r.Context(), r.PathValue("project_id"), body.Tags)
	if err != nil {
		return err
	}
	return tagsWire(w, r, tags)
}

func (s *Service) clearProjectTags(w http.ResponseWriter, r *http.Request) error {
	if err := s.ClearProjectTags(r.Context(), r.PathValue("project_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) checkProjectTag(w http.ResponseWriter, r *http.Request) error {
	if err := s.CheckProjectTag(r.Context(), r.PathValue("project_id"), r.PathValue("tag")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) addProjectTag(w http.ResponseWriter, r *http.Request) error {
	tag := r.PathValue("tag")
	if err := s.AddProjectTag(r.Context(), r.PathValue("project_id"), tag); err != nil {
		return err
	}
	w.Header().Set("Location", v3URL(r, "/projects/"+r.PathValue("project_id")+"/tags/"+tag))
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Service) removeProjectTag(w http.ResponseWriter, r *http.Request) error {
	if err := s.RemoveProjectTag(r.Context(), r.PathValue("project_id"), r.PathValue("tag")); err != nil {
		return err
	}
	return noContent(w)
}
