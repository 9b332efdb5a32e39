package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// entity describes one kind of identity record (domain, project, user,
// role) for the parts of its handlers that are the same for every kind:
// the lookup that turns a missing row into Keystone's 404, GET of one,
// the list body, PATCH, and DELETE with the rows that go with it.
type entity[T any] struct {
	name     string // JSON key and the word in messages: "role"
	param    string // path parameter holding the id: "role_id"
	table    string
	fetch    func(context.Context, store.Querier, string) (*T, error)
	list     func(context.Context, store.Querier, filter) ([]*T, error)
	apply    func(o object, v *T, create bool) error
	save     func(context.Context, store.Querier, *T) error
	conflict func(*T) error // duplicate name on save
	wire     func(*http.Request, *T) map[string]any
	// filters are the attributes lists filter on (filter.go).
	filters []string
	// more is the rest of the wire form that needs the database (project
	// tags); nil when the row has it all.
	more func(context.Context, store.Querier, *T) error
}

// matches reports whether a wire entity passes the request's filters.
func (e *entity[T]) matches(r *http.Request, m map[string]any) bool {
	return matchesFilters(r, e.filters, m)
}

// load returns the record id, or Keystone's "Could not find" 404.
func (e *entity[T]) load(ctx context.Context, q store.Querier, id string) (*T, error) {
	v, err := e.fetch(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(e.name, id)
	}
	if err == nil && e.more != nil {
		err = e.more(ctx, q, v)
	}
	return v, err
}

// respond writes {"<name>": v}.
func (e *entity[T]) respond(w http.ResponseWriter, r *http.Request, status int, v *T) error {
	return httpapi.WriteJSON(w, status, map[string]any{e.name: e.wire(r, v)})
}

// listed runs the list query and writes {"<name>s": [...], "links": ...}.
func (e *entity[T]) listed(w http.ResponseWriter, r *http.Request, db store.Querier, f filter) error {
	return e.listedAs(w, r, db, f, e.name+"s")
}

// listedAs is listed with the collection's key given.
func (e *entity[T]) listedAs(w http.ResponseWriter, r *http.Request, db store.Querier, f filter, key string) error {
	vs, err := e.all(r.Context(), db, f)
	if err != nil {
		return err
	}
	return e.rendered(w, r, vs, key)
}

// rendered writes {"<key>": [...], "links": ...} with the records that
// pass the request's filters.
func (e *entity[T]) rendered(w http.ResponseWriter, r *http.Request, vs []*T, key string) error {
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		if m := e.wire(r, v); e.matches(r, m) {
			out = append(out, m)
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{key: out, "links": listLinks(r)})
}

// show is GET /v3/<name>s/{id}.
func (e *entity[T]) show(s *Service) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := e.load(r.Context(), s.db.R(), r.PathValue(e.param))
		if err != nil {
			return err
		}
		return e.respond(w, r, http.StatusOK, v)
	}
}

// update is PATCH /v3/<name>s/{id} (modify in entity.go).
func (e *entity[T]) update(s *Service) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := decodeEntity(r, e.name)
		if err != nil {
			return err
		}
		v, err := e.modify(r.Context(), s, r.PathValue(e.param), func(v *T) error { return e.apply(o, v, false) })
		if err != nil {
			return err
		}
		return e.respond(w, r, http.StatusOK, v)
	}
}

// remove is DELETE /v3/<name>s/{id} (delete in entity.go).
func (e *entity[T]) remove(s *Service, before func(ctx context.Context, tx *sql.Tx, id string) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := e.delete(r.Context(), s, r.PathValue(e.param), before); err != nil {
			return err
		}
		return noContent(w)
	}
}
