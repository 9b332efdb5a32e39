package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Project reads (project_http.go renders them): lists, one project or the
// domain of that id, a project's hierarchy, and a user's projects.

// Projects are every project, with its tags.
func (s *Service) Projects(ctx context.Context) ([]*Project, error) {
	return projectKind.all(ctx, s.db.R(), filter{})
}

// Domains are every domain, with its tags.
func (s *Service) Domains(ctx context.Context) ([]*Domain, error) {
	return domainKind.all(ctx, s.db.R(), filter{})
}

// ProjectOrDomain is project id or, when there is none, the domain of that
// id (with its tags) seen through the projects API; the project's 404
// otherwise.
func (s *Service) ProjectOrDomain(ctx context.Context, id string) (*Project, *Domain, error) {
	db := s.db.R()
	p, err := s.project(ctx, db, id)
	if err != nil {
		if d, derr := getDomain(ctx, db, id); derr == nil {
			if err := domainKind.more(ctx, db, d); err != nil {
				return nil, nil, err
			}
			return nil, d, nil
		}
		return nil, nil, err
	}
	return p, nil, nil
}

// HierarchyQuery is which of a project's parents and subtree to show
// (Keystone's parents_as_ids, parents_as_list, subtree_as_ids and
// subtree_as_list).
type HierarchyQuery struct {
	ParentsAsIDs, ParentsAsList, SubtreeAsIDs, SubtreeAsList bool
}

// ProjectHierarchy is what a HierarchyQuery asked for.
type ProjectHierarchy struct {
	ParentIDs  []string   // nearest first; with ParentsAsIDs or ParentsAsList
	Parents    []*Project // with ParentsAsList
	SubtreeIDs any        // {child: {grandchild: null}}, null for none; with SubtreeAsIDs
	Subtree    []*Project // with SubtreeAsList (and not SubtreeAsIDs)
}

// Hierarchy reads the parents and subtree of p that hq asks for.
func (s *Service) Hierarchy(ctx context.Context, p *Project, hq HierarchyQuery) (*ProjectHierarchy, error) {
	if hq.ParentsAsList && hq.ParentsAsIDs {
		return nil, fault.Invalidf("Cannot use parents_as_list and parents_as_ids query params at the same time.")
	}
	if hq.SubtreeAsList && hq.SubtreeAsIDs {
		return nil, fault.Invalidf("Cannot use subtree_as_list and subtree_as_ids query params at the same time.")
	}
	q := s.db.R()
	h := &ProjectHierarchy{}
	if hq.ParentsAsIDs || hq.ParentsAsList {
		ids, err := projectAncestors(ctx, q, p)
		if err != nil {
			return nil, err
		}
		h.ParentIDs = ids
		if hq.ParentsAsList {
			if h.Parents, err = s.projectsByID(ctx, q, ids); err != nil {
				return nil, err
			}
		}
	}
	if hq.SubtreeAsIDs {
		tree, err := subtreeIDs(ctx, q, p.ID)
		if err != nil {
			return nil, err
		}
		h.SubtreeIDs = tree
	} else if hq.SubtreeAsList {
		ids, err := projectSubtree(ctx, q, p.ID)
		if err != nil {
			return nil, err
		}
		if h.Subtree, err = s.projectsByID(ctx, q, ids); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// projectsByID loads each project, in order, with its tags.
func (s *Service) projectsByID(ctx context.Context, q store.Querier, ids []string) ([]*Project, error) {
	out := make([]*Project, 0, len(ids))
	for _, id := range ids {
		p, err := s.project(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// subtreeIDs is Keystone's subtree_as_ids: {child: {grandchild: null}},
// null when there are no children.
func subtreeIDs(ctx context.Context, q store.Querier, id string) (any, error) {
	kids, err := childProjects(ctx, q, id)
	if err != nil || len(kids) == 0 {
		return nil, err
	}
	out := map[string]any{}
	for _, k := range kids {
		if out[k], err = subtreeIDs(ctx, q, k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UserProjects are the projects on which user userID has any role.
func (s *Service) UserProjects(ctx context.Context, userID string) ([]*Project, error) {
	if _, err := s.user(ctx, s.db.R(), userID); err != nil {
		return nil, err
	}
	return listUserProjects(ctx, s.db.R(), userID)
}
