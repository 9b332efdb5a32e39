package objectstore

import (
	"context"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/store"
)

// accountHeaders writes the usage of a and the metadata rc may see.
func accountHeaders(w http.ResponseWriter, rc *reqCtx, a *Account) {
	h := w.Header()
	h.Set("X-Account-Container-Count", strconv.FormatInt(a.Containers, 10))
	h.Set("X-Account-Object-Count", strconv.FormatInt(a.Objects, 10))
	h.Set("X-Account-Bytes-Used", strconv.FormatInt(a.Bytes, 10))
	rc.writeVisibleMeta(h, a.Meta)
	if a.CreatedAt != 0 {
		setTimestamp(w, a.CreatedAt)
	} else {
		setTimestamp(w, nowMicro())
	}
}

// loadAccount returns the account, or an empty one when nothing was ever
// written to it (Swift's account autocreate).
func (s *Service) loadAccount(ctx context.Context, name string) (*Account, error) {
	a, err := getAccount(ctx, s.db.R(), name)
	if isNotFound(err) {
		return &Account{Name: name, Meta: map[string]string{}}, nil
	}
	return a, err
}

// headAccount is HEAD /v1/{account}.
func (s *Service) headAccount(w http.ResponseWriter, r *http.Request) error {
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	if err := rc.requireOwner(false); err != nil {
		return err
	}
	a, err := s.loadAccount(r.Context(), rc.account)
	if err != nil {
		return err
	}
	accountHeaders(w, rc, a)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listContainers is GET /v1/{account}.
func (s *Service) listContainersHTTP(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodHead {
		return s.headAccount(w, r)
	}
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	if err := rc.requireOwner(false); err != nil {
		return err
	}
	ct, err := listingFormat(r)
	if err != nil {
		return err
	}
	lp, err := parseListParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	a, err := s.loadAccount(ctx, rc.account)
	if err != nil {
		return err
	}
	es, err := collect(ctx, lp, func(ctx context.Context, kr keyRange, n int) ([]entry, error) {
		cs, err := listContainers(ctx, s.db.R(), rc.account, kr, n)
		if err != nil {
			return nil, err
		}
		// A versioned container's bytes include its versions' (object_versioning.py).
		vb, err := s.hiddenBytes(ctx, rc.account, cs)
		es := make([]entry, len(cs))
		for i, c := range cs {
			if b, ok := vb[c.Name]; ok {
				cc := *c
				cc.Bytes += b
				c = &cc
			}
			es[i] = entry{name: c.Name, cont: c}
		}
		return es, err
	})
	if err != nil {
		return err
	}
	accountHeaders(w, rc, a)
	return renderListing(w, r, ct, "account", rc.account, es)
}

// postAccount is POST /v1/{account}: merge metadata (and bulk delete).
func (s *Service) postAccount(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Has("bulk-delete") {
		return s.bulkDelete(w, r)
	}
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	if err := rc.requireOwner(true); err != nil {
		return err
	}
	if err := checkMeta(r.Header, "X-Account-Meta-"); err != nil {
		return err
	}
	ctx := r.Context()
	var a *Account
	err = s.commit.Do(ctx, func(tx store.Querier) error {
		if err := ensureAccount(ctx, tx, rc.account, nowMicro()); err != nil {
			return err
		}
		var err error
		if a, err = getAccount(ctx, tx, rc.account); err != nil {
			return err
		}
		mergeMeta(a.Meta, r.Header, "X-Account-Meta-")
		if err := checkMergedMeta(a.Meta, "X-Account-Meta-"); err != nil {
			return err
		}
		return setAccountMeta(ctx, tx, rc.account, a.Meta)
	})
	if err != nil {
		return err
	}
	accountHeaders(w, rc, a)
	return noContent(w)
}

// deleteAccount is DELETE /v1/{account}: only ?bulk-delete is served
// (account deletion needs reseller rights, which stratus does not grant).
func (s *Service) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Has("bulk-delete") {
		return s.bulkDelete(w, r)
	}
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	return deny(rc.p)
}

// putAccount is PUT /v1/{account}: only ?extract-archive is served
// (account creation needs reseller rights; accounts exist implicitly).
func (s *Service) putAccount(w http.ResponseWriter, r *http.Request) error {
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Has("extract-archive") {
		if rc.p == nil {
			return deny(nil)
		}
		return s.extractArchive(w, r, rc)
	}
	return deny(rc.p)
}

func noContent(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var _ = store.ErrNotFound
