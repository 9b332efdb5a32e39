package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The access matrix (issue 11): every object-store and image route, tried
// by every kind of caller, against one declared policy. Each probe names
// the route it exercises and the callers it allows; every other caller
// must be refused (401, 403 or 404 unless the probe says how it refuses).
// A mounted object-store or image route (Glance, and the Nova image proxy
// under each compute prefix) that no probe exercises fails the test, so a
// new route cannot be added without saying who may use it.

// The policies, as sets of callers.
var (
	everyone    = allCallers
	withToken   = callers{ownerAdmin, ownerMember, ownerReader, cloudAdmin, otherMember, aclRead, aclWrite}
	acctReaders = callers{ownerAdmin, ownerMember, ownerReader, cloudAdmin}
	acctWriters = callers{ownerAdmin, ownerMember, cloudAdmin}
	contReaders = join(acctReaders, aclRead, aclWrite)
	contWriters = join(acctWriters, aclWrite)
	objReaders  = join(contReaders, containerKey, accountKey)
	objWriters  = join(contWriters, containerKey, accountKey)
	// The account key grants the whole account; a container key only c.
	acctReadersAndKey = join(acctReaders, accountKey)
	acctWritersAndKey = join(acctWriters, accountKey)
	nobody            = callers{}
	// Images: the owner's project (writers: not a lone reader), cloud
	// admins, and the projects an image is shared with (read only).
	imageViewers  = join(acctReaders, aclRead, aclWrite)
	imageWriters  = acctWriters
	projectWriter = callers{ownerAdmin, ownerMember, cloudAdmin, otherMember, aclRead, aclWrite}
)

// callers is a set of callers (a policy).
type callers []caller

func join(base callers, more ...caller) callers { return append(slices.Clone(base), more...) }

func (cs callers) plus(more ...caller) callers { return join(cs, more...) }

func (cs callers) minus(out caller) callers {
	var r callers
	for _, c := range cs {
		if c != out {
			r = append(r, c)
		}
	}
	return r
}

// probe is one row of the table.
type probe struct {
	route   string // "METHOD pattern" as mounted
	name    string
	allow   callers
	setup   func(w *world, c caller) // run as the owner before c's request
	req     func(w *world, c caller) *http.Request
	ok      func(r reply) bool // c's request succeeded (default: 2xx/3xx)
	refused func(r reply) bool // c's request was refused (default: 401, 403, 404)
}

func defaultOK(r reply) bool      { return r.status >= 200 && r.status < 400 }
func defaultRefused(r reply) bool { return r.status == 401 || r.status == 403 || r.status == 404 }

// reportOK and reportRefused read a bulk report (always 200).
func reportOK(field string) func(r reply) bool {
	return func(r reply) bool { return r.status == 200 && strings.Contains(r.body, field) }
}

func reportRefused(field string) func(r reply) bool {
	return func(r reply) bool {
		return defaultRefused(r) || r.status == 200 && strings.Contains(r.body, field) &&
			(strings.Contains(r.body, "401 Unauthorized") || strings.Contains(r.body, "403 Forbidden"))
	}
}

// orStatus widens the default refusal by more statuses.
func orStatus(codes ...int) func(r reply) bool {
	return func(r reply) bool { return defaultRefused(r) || slices.Contains(codes, r.status) }
}

// expand fills a template: {a} the owning account's path, {c} the caller,
// {img} the shared image, {aclp} the ACL users' project, {tenant} the
// caller's project (the owner's for callers without one).
func (w *world) expand(s string, c caller) string {
	tenant := w.project[c]
	if tenant == "" {
		tenant = w.owner
	}
	return strings.NewReplacer("{a}", w.acct, "{c}", string(c), "{img}", w.img, "{aclp}", w.aclp, "{tenant}", tenant).Replace(s)
}

// call builds c's request from a template (path, string body and headers
// are expanded).
func call(method, path string, body any, hdr ...string) func(w *world, c caller) *http.Request {
	return func(w *world, c caller) *http.Request {
		sent := body
		switch b := body.(type) {
		case nil, []byte:
		case string:
			sent = w.expand(b, c)
		default:
			js, _ := json.Marshal(b)
			sent = jsonBody(w.expand(string(js), c))
		}
		h := make([]string, len(hdr))
		for i, x := range hdr {
			h[i] = w.expand(x, c)
		}
		return w.request(method, w.expand(path, c), sent, h...)
	}
}

// ownerDoes is a setup of requests made by the owner's member.
func ownerDoes(steps ...func(w *world, c caller) *http.Request) func(w *world, c caller) {
	return func(w *world, c caller) {
		for _, s := range steps {
			req := s(w, c)
			w.authorize(req, ownerMember)
			if r := w.do(req); r.status >= 300 {
				w.t.Fatalf("setup %s %s: %d %.200s", req.Method, req.URL.Path, r.status, r.body)
			}
		}
	}
}

func TestAccessMatrix(t *testing.T) {
	w := newWorld(t)
	probes := append(objectProbes(), imageProbes()...)
	probes = append(probes, novaProbes()...)
	probes = append(probes, metadefProbes()...)
	checkCoverage(t, w, probes)
	t.Logf("%d probes × %d callers", len(probes), len(allCallers))
	for _, p := range probes {
		for _, c := range allCallers {
			if p.setup != nil {
				p.setup(w, c)
			}
			req := p.req(w, c)
			w.authorize(req, c)
			r := w.do(req)
			ok, refused := p.ok, p.refused
			if ok == nil {
				ok = defaultOK
			}
			if refused == nil {
				refused = defaultRefused
			}
			if slices.Contains(p.allow, c) {
				if !ok(r) {
					t.Errorf("%s [%s] as %s: refused (%d %.200s), the policy allows it", p.route, p.name, c, r.status, r.body)
				}
			} else if !refused(r) {
				t.Errorf("%s [%s] as %s: answered %d (%.200s), the policy refuses it", p.route, p.name, c, r.status, r.body)
			}
		}
	}
}

// checkCoverage fails for every object-store or image route without a
// probe, and for probes of routes that are not mounted.
func checkCoverage(t *testing.T, w *world, probes []probe) {
	mounted := map[string]bool{}
	for _, r := range w.mux.Routes() {
		if r.Group == "object-store" || r.Group == "image" || r.Group == "compute" && strings.Contains(r.Pattern, "/images") {
			mounted[r.Method+" "+r.Pattern] = true
		}
	}
	probed := map[string]bool{}
	for _, p := range probes {
		probed[p.route] = true
		if !mounted[p.route] {
			t.Errorf("probe %q [%s] names a route that is not mounted", p.route, p.name)
		}
	}
	for r := range mounted {
		if !probed[r] {
			t.Errorf("route %s has no row in the access table", r)
		}
	}
}
