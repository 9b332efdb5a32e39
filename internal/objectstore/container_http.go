package objectstore

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// containerSysHeaders are kept like metadata (POST merges them).
var containerSysHeaders = []string{"X-Container-Read", "X-Container-Write", "X-Versions-Location", "X-History-Location"}

// containerHeaders writes c's usage and the metadata rc may see. The
// bytes of a versioned container include its versions' (as Swift's
// object_versioning adds them); the object count is its own.
func (s *Service) containerHeaders(ctx context.Context, w http.ResponseWriter, rc *reqCtx, c *Container) error {
	h := w.Header()
	bytes := c.Bytes
	if hidden, _ := versioning(c); hidden != "" {
		vc, err := getContainer(ctx, s.db.R(), c.Account, hidden)
		if err != nil && !isNotFound(err) {
			return err
		}
		if vc != nil {
			bytes += vc.Bytes
		}
	}
	if v := c.Meta[sysVersionsEnabled]; v != "" {
		h.Set("X-Versions-Enabled", v)
	}
	h.Set("X-Container-Object-Count", strconv.FormatInt(c.Objects, 10))
	h.Set("X-Container-Bytes-Used", strconv.FormatInt(bytes, 10))
	h.Set("X-Storage-Policy", "Policy-0")
	rc.writeVisibleMeta(h, c.Meta)
	setTimestamp(w, c.CreatedAt)
	return nil
}

// checkContainerHeaders validates a PUT/POST's container headers and
// normalises its ACLs.
func checkContainerHeaders(h http.Header) error {
	if err := checkMeta(h, "X-Container-Meta-"); err != nil {
		return err
	}
	for _, k := range []string{"X-Container-Read", "X-Container-Write"} {
		if vs, ok := h[k]; ok {
			v, err := cleanACL(k, strings.Join(vs, ","))
			if err != nil {
				return err
			}
			h[k] = []string{v}
		}
	}
	if h.Get("X-Versions-Location") != "" && h.Get("X-History-Location") != "" {
		return fault.Invalidf("Only one of X-Versions-Location or X-History-Location may be specified")
	}
	for _, k := range []string{"X-Versions-Location", "X-History-Location"} {
		if v := h.Get(k); v != "" {
			name, err := url.PathUnescape(v)
			if err != nil || strings.Contains(strings.Trim(name, "/"), "/") {
				return fault.New(fault.PreconditionFailed, "Container name cannot contain slashes")
			}
			if err := checkName(strings.Trim(name, "/"), ""); err != nil {
				return err
			}
		}
	}
	if v := h.Get("X-Container-Meta-Quota-Bytes"); v != "" {
		if _, err := strconv.ParseUint(v, 10, 63); err != nil {
			return fault.Invalidf("Invalid bytes quota.")
		}
	}
	if v := h.Get("X-Container-Meta-Quota-Count"); v != "" {
		if _, err := strconv.ParseUint(v, 10, 63); err != nil {
			return fault.Invalidf("Invalid count quota.")
		}
	}
	return nil
}

// putContainer is PUT /v1/{account}/{container}: 201 created, 202 updated.
func (s *Service) putContainer(w http.ResponseWriter, r *http.Request) error {
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
	if err := rc.requireOwner(true); err != nil {
		return err
	}
	if err := checkContainerHeaders(r.Header); err != nil {
		return err
	}
	created, err := s.ensureContainer(r.Context(), rc, r.Header)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

// ensureContainer creates rc's container with the headers h, or merges h
// into it when it exists (rc's caller must own the account). created
// says which.
func (s *Service) ensureContainer(ctx context.Context, rc *reqCtx, h http.Header) (created bool, err error) {
	err = s.commit.Do(ctx, func(tx store.Querier) error {
		now := nowMicro()
		c, err := getContainer(ctx, tx, rc.account, rc.container)
		if isNotFound(err) {
			created = true
			c = &Container{Account: rc.account, Name: rc.container, Meta: map[string]string{}, CreatedAt: now}
			if err := ensureAccount(ctx, tx, rc.account, now); err != nil {
				return err
			}
			if err := setVersioning(ctx, tx, c, h, now); err != nil {
				return err
			}
			mergeMeta(c.Meta, h, "X-Container-Meta-", containerSysHeaders...)
			if err := insertContainer(ctx, tx, c); err != nil {
				return err
			}
			return bumpAccount(ctx, tx, rc.account, 1, 0, 0)
		}
		if err != nil {
			return err
		}
		if err := setVersioning(ctx, tx, c, h, now); err != nil {
			return err
		}
		mergeMeta(c.Meta, h, "X-Container-Meta-", containerSysHeaders...)
		if err := checkMergedMeta(c.Meta, "X-Container-Meta-"); err != nil {
			return err
		}
		return setContainerMeta(ctx, tx, rc.account, rc.container, c.Meta)
	})
	s.versionedCache.forget(rc.account, rc.container)
	return created, err
}

// postContainer is POST /v1/{account}/{container}: merge metadata.
func (s *Service) postContainer(w http.ResponseWriter, r *http.Request) error {
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	if err := rc.requireOwner(true); err != nil {
		return err
	}
	if err := checkContainerHeaders(r.Header); err != nil {
		return err
	}
	ctx := r.Context()
	err = s.commit.Do(ctx, func(tx store.Querier) error {
		c, err := getContainer(ctx, tx, rc.account, rc.container)
		if err != nil {
			return err
		}
		if err := setVersioning(ctx, tx, c, r.Header, nowMicro()); err != nil {
			return err
		}
		mergeMeta(c.Meta, r.Header, "X-Container-Meta-", containerSysHeaders...)
		if err := checkMergedMeta(c.Meta, "X-Container-Meta-"); err != nil {
			return err
		}
		return setContainerMeta(ctx, tx, rc.account, rc.container, c.Meta)
	})
	s.versionedCache.forget(rc.account, rc.container)
	if isNotFound(err) {
		return errNotFound()
	}
	if err != nil {
		return err
	}
	return noContent(w)
}

// deleteContainer is DELETE /v1/{account}/{container}: 409 unless empty.
func (s *Service) deleteContainer(w http.ResponseWriter, r *http.Request) error {
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	if err := rc.requireOwner(true); err != nil {
		return err
	}
	if err := s.removeContainer(r.Context(), rc); err != nil {
		return err
	}
	return noContent(w)
}

// removeContainer deletes an empty container (409 otherwise).
func (s *Service) removeContainer(ctx context.Context, rc *reqCtx) error {
	var garbage []string
	err := s.commit.Do(ctx, func(tx store.Querier) error {
		c, err := getContainer(ctx, tx, rc.account, rc.container)
		if err != nil {
			return err
		}
		// A versioned container goes only with its versions, all deleted
		// first (object_versioning.py's handle_delete).
		hidden, _ := versioning(c)
		if hidden != "" {
			vc, err := getContainer(ctx, tx, rc.account, hidden)
			if err != nil && !isNotFound(err) {
				return err
			}
			if vc != nil && vc.Objects > 0 {
				return fault.Conflictf("Delete all versions before deleting container.")
			}
		}
		if c.Objects > 0 {
			// Expired objects do not keep a container alive: reap them here.
			live, err := listObjectRows(ctx, tx, rc.account, rc.container, keyRange{}, 1, time.Now().Unix())
			if err != nil {
				return err
			}
			if len(live) > 0 {
				return fault.Conflictf(msgConflict)
			}
			garbage = nil
			for {
				dead, err := expiredInContainer(ctx, tx, rc.account, rc.container, 500)
				if err != nil {
					return err
				}
				for _, o := range dead {
					g, err := removeObject(ctx, tx, o)
					if err != nil {
						return err
					}
					garbage = append(garbage, g...)
				}
				if len(dead) < 500 {
					break
				}
			}
			if garbage, err = reapInline(ctx, tx, garbage); err != nil {
				return err
			}
		}
		if err := deleteContainerRow(ctx, tx, rc.account, rc.container); err != nil {
			return err
		}
		gone := int64(1)
		if hidden != "" {
			if _, err := getContainer(ctx, tx, rc.account, hidden); err == nil {
				if err := deleteContainerRow(ctx, tx, rc.account, hidden); err != nil {
					return err
				}
				gone++
			}
		}
		return bumpAccount(ctx, tx, rc.account, -gone, 0, 0)
	})
	s.versionedCache.forget(rc.account, rc.container)
	if isNotFound(err) {
		return errNotFound()
	}
	if err == nil {
		s.dropBlobs(garbage)
	}
	return err
}

// headContainer is HEAD /v1/{account}/{container}.
func (s *Service) headContainer(w http.ResponseWriter, r *http.Request) error {
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	c, err := s.readableContainer(r.Context(), rc, true)
	if err != nil {
		return err
	}
	if err := s.containerHeaders(r.Context(), w, rc, c); err != nil {
		return err
	}
	return noContent(w)
}

// listObjects is GET /v1/{account}/{container}.
func (s *Service) listObjects(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodHead {
		return s.headContainer(w, r)
	}
	rc, err := parseReq(r)
	if err != nil {
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
	if webMode(r, rc) {
		// Static web: GETs of a web container go to "c/".
		if done, err := s.webContainer(w, r, rc); done {
			return err
		}
	}
	c, err := s.readableContainer(r.Context(), rc, true)
	if err != nil {
		return err
	}
	if r.URL.Query().Has("versions") {
		return s.listVersions(w, r, rc, c, lp)
	}
	es, err := s.listEntries(r.Context(), rc.account, rc.container, lp)
	if err != nil {
		return err
	}
	if err := s.containerHeaders(r.Context(), w, rc, c); err != nil {
		return err
	}
	return renderListing(w, r, ct, "container", rc.container, es)
}

func (s *Service) listEntries(ctx context.Context, account, container string, lp listParams) ([]entry, error) {
	now := nowMicro() / 1e6
	return collect(ctx, lp, func(ctx context.Context, kr keyRange, n int) ([]entry, error) {
		os, err := listObjectRows(ctx, s.db.R(), account, container, kr, n, now)
		es := make([]entry, len(os))
		for i, o := range os {
			es[i] = entry{name: o.Name, obj: o}
		}
		return es, err
	})
}
