package objectstore

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// listVersions is GET /v1/{account}/{container}?versions (JSON only), as
// object_versioning.py's _list_versions: the container's unversioned
// objects (version "null", latest), every version of the versions
// container (latest when the name's link points at it, or when it is a
// delete marker newer than anything else current), and links whose
// version is missing, merged in name order and cut to the limit.
// marker with version_marker pages within a name's versions.
func (s *Service) listVersions(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, lp listParams) error {
	if accept := r.Header.Get("Accept"); accept != "" && bestMatch(accept, []string{ctJSON}) == "" {
		return fault.New(fault.NotAcceptable, "The server cannot generate a response acceptable to the client.")
	}
	q := r.URL.Query()
	vlp := lp
	vlp.endMarker, vlp.path = "", nil
	vm, hasVM := q["version_marker"]
	switch {
	case q.Has("marker") && !hasVM:
		vlp.marker = escName(lp.marker) + keyTerm + ":" // past all of its versions
	case q.Has("marker") && vm[0] == "null":
		vlp.marker = escName(lp.marker) + keyTerm // before all of its versions
	case q.Has("marker"):
		us, err := parseVersionID(vm[0])
		if err != nil {
			return fault.Invalidf("invalid version_marker param")
		}
		vlp.marker = versionKey(lp.marker, us)
	case hasVM:
		return fault.Invalidf("version_marker param requires marker")
	}
	// Digits, '.' and the key bytes would cut into version keys.
	if strings.ContainsAny(lp.dlm, "0123456789.\x00\x01") {
		return fault.Invalidf("invalid delimiter param")
	}
	vlp.prefix = escName(lp.prefix)
	ctx := r.Context()
	primary, err := s.listEntries(ctx, rc.account, rc.container, lp)
	if err != nil {
		return err
	}
	type item struct {
		name string
		v    any
	}
	var nulls, versions, subdirs, broken []item
	seenDir := map[string]bool{}
	addDir := func(d string) {
		if !seenDir[d] {
			seenDir[d] = true
			subdirs = append(subdirs, item{d, subdirJSON{d}})
		}
	}
	current := map[string]*Object{} // version links, by the key of their version
	latest := map[string]bool{}
	yes, no := true, false
	hidden, _ := versioning(c)
	for _, e := range primary {
		switch {
		case e.subdir:
			addDir(e.name)
		case isVersionLink(e.obj):
			if k, err := versionKeyOf(e.obj.Name, e.obj.Meta[sysVersionLink]); err == nil {
				current[k] = e.obj
			}
		default:
			it := objectItem(e.obj)
			it.VersionID, it.IsLatest = "null", &yes
			nulls = append(nulls, item{e.name, it})
			latest[e.name] = true
		}
	}
	if hidden != "" {
		hes, err := s.listEntries(ctx, rc.account, hidden, vlp)
		if err != nil {
			return err
		}
		for _, e := range hes {
			if e.subdir {
				addDir(unescName(e.name))
				continue
			}
			name, us, ok := parseVersionKey(e.name)
			if !ok {
				continue
			}
			it := objectItem(e.obj)
			it.Name, it.VersionID = name, versionID(us)
			switch {
			case current[e.name] != nil:
				it.IsLatest = &yes
				latest[name] = true
				delete(current, e.name)
			case e.obj.ContentType == deleteMarkerType && !latest[name]:
				it.IsLatest = &yes
				latest[name] = true
			default:
				it.IsLatest = &no
			}
			versions = append(versions, item{name, it})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(current)) {
		l := current[k]
		it := objectItem(l)
		it.VersionID, it.IsLatest, it.VersionSymlink, it.SymlinkPath = l.Meta[sysVersionLink], &yes, false, ""
		broken = append(broken, item{l.Name, it})
	}
	all := slices.Concat(nulls, versions, subdirs, broken)
	slices.SortStableFunc(all, func(a, b item) int {
		if lp.reverse {
			return strings.Compare(b.name, a.name)
		}
		return strings.Compare(a.name, b.name)
	})
	if len(all) > lp.limit {
		all = all[:lp.limit]
	}
	out := make([]any, len(all))
	for i, it := range all {
		out[i] = it.v
	}
	body, _ := json.Marshal(out)
	if err := s.containerHeaders(ctx, w, rc, c); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", ctJSON+"; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// hiddenBytes returns the bytes of the versions containers of the
// containers in cs that have one, by container name.
func (s *Service) hiddenBytes(ctx context.Context, account string, cs []*Container) (map[string]int64, error) {
	out := map[string]int64{}
	for _, c := range cs {
		hidden, _ := versioning(c)
		if hidden == "" {
			continue
		}
		vc, err := getContainer(ctx, s.db.R(), account, hidden)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[c.Name] = vc.Bytes
	}
	return out, nil
}
