package server

import (
	"fmt"
	"net/http"
)

// The object store's rows. The owning account holds (objectFixture):
//
//	c        read ACL: acl-read, acl-write; write ACL: acl-write; the container key
//	c/o, c/seg-in, c/slo-in (SLO of c/seg-in)
//	c/slo-out, c/dlo-out    (SLO and DLO of segs/, which only the account reads)
//	segs, private           (no ACL)
//	web      .r:*,.rlistings with a web index
//	ver      versioned into arch
//	nv       object versioning on (X-Versions-Enabled), nv/o with two versions
//	c/link-in, c/link-out   symlinks to c/o and to private/o
//
// and the account key. Names a probe creates carry the caller's name.

const (
	acct = "/object-store/v1/{account}"
	cont = "/object-store/v1/{account}/{container}"
	obj  = "/object-store/v1/{account}/{container}/{object...}"
)

// extract is a bulk upload of one file (named from a template) to path.
func extract(path, file string) func(w *world, c caller) *http.Request {
	return func(w *world, c caller) *http.Request {
		return w.request("PUT", w.expand(path, c)+"?extract-archive=tar", tarball(map[string]string{w.expand(file, c): "x"}),
			"Accept: text/plain")
	}
}

// bulkDelete deletes one name (a template) through path?bulk-delete.
func bulkDelete(method, path, name string) func(w *world, c caller) *http.Request {
	return call(method, path+"?bulk-delete", name+"\n", "Content-Type: text/plain", "Accept: text/plain")
}

func objectProbes() []probe {
	putObj := func(path, body string, hdr ...string) func(w *world, c caller) *http.Request {
		return call("PUT", path, body, hdr...)
	}
	return []probe{
		{route: "GET /object-store/info", name: "capabilities", allow: everyone, req: call("GET", "/object-store/info", nil)},
		{route: "GET /info", name: "capabilities at the root", allow: everyone, req: call("GET", "/info", nil)},
		{route: "GET /object-store/healthcheck", name: "healthcheck", allow: everyone, req: call("GET", "/object-store/healthcheck", nil)},

		// Account.
		{route: "GET " + acct, name: "list containers", allow: acctReaders, req: call("GET", "{a}", nil)},
		{route: "GET " + acct, name: "HEAD account", allow: acctReaders, req: call("HEAD", "{a}", nil)},
		{route: "GET " + acct + "/{$}", name: "list containers, trailing slash", allow: acctReaders, req: call("GET", "{a}/", nil)},
		{route: "POST " + acct, name: "account metadata", allow: acctWriters, req: call("POST", "{a}", nil, "X-Account-Meta-Probe: {c}")},
		{route: "POST " + acct + "/{$}", name: "account metadata, trailing slash", allow: acctWriters,
			req: call("POST", "{a}/", nil, "X-Account-Meta-Probe: {c}")},
		{route: "POST " + acct, name: "bulk delete", allow: contWriters,
			setup: ownerDoes(putObj("{a}/c/bd-{c}", "x")), req: bulkDelete("POST", "{a}", "/c/bd-{c}"),
			ok: reportOK("Number Deleted: 1"), refused: reportRefused("Number Deleted: 0")},
		{route: "DELETE " + acct, name: "bulk delete", allow: contWriters,
			setup: ownerDoes(putObj("{a}/c/bd2-{c}", "x")), req: bulkDelete("DELETE", "{a}", "/c/bd2-{c}"),
			ok: reportOK("Number Deleted: 1"), refused: reportRefused("Number Deleted: 0")},
		{route: "DELETE " + acct + "/{$}", name: "bulk delete, trailing slash", allow: contWriters,
			setup: ownerDoes(putObj("{a}/c/bd3-{c}", "x")), req: bulkDelete("DELETE", "{a}/", "/c/bd3-{c}"),
			ok: reportOK("Number Deleted: 1"), refused: reportRefused("Number Deleted: 0")},
		{route: "DELETE " + acct, name: "delete the account", allow: nobody, req: call("DELETE", "{a}", nil)},
		{route: "PUT " + acct, name: "create the account", allow: nobody, req: call("PUT", "{a}", nil)},
		{route: "PUT " + acct, name: "bulk upload into c", allow: contWriters, req: extract("{a}", "c/x-{c}"),
			ok: reportOK("Number Files Created: 1"), refused: reportRefused("Number Files Created: 0")},
		{route: "PUT " + acct + "/{$}", name: "bulk upload into c, trailing slash", allow: contWriters, req: extract("{a}/", "c/x2-{c}"),
			ok: reportOK("Number Files Created: 1"), refused: reportRefused("Number Files Created: 0")},
		{route: "PUT " + acct, name: "bulk upload into a new container", allow: acctWriters, req: extract("{a}", "new-{c}/x"),
			ok: reportOK("Number Files Created: 1"), refused: reportRefused("Number Files Created: 0")},

		// Container.
		{route: "GET " + cont, name: "list c", allow: contReaders, req: call("GET", "{a}/c", nil)},
		{route: "GET " + cont, name: "HEAD c", allow: contReaders, req: call("HEAD", "{a}/c", nil)},
		{route: "GET " + cont, name: "list private", allow: acctReaders, req: call("GET", "{a}/private", nil)},
		{route: "GET " + cont, name: "static web container", allow: everyone, req: call("GET", "{a}/web", nil)},
		{route: "PUT " + cont, name: "create a container", allow: acctWriters, req: call("PUT", "{a}/nc-{c}", nil)},
		{route: "PUT " + cont, name: "bulk upload into c", allow: contWriters, req: extract("{a}/c", "xc-{c}"),
			ok: reportOK("Number Files Created: 1"), refused: reportRefused("Number Files Created: 0")},
		{route: "POST " + cont, name: "container metadata", allow: acctWriters, req: call("POST", "{a}/c", nil, "X-Container-Meta-Probe: {c}")},
		{route: "DELETE " + cont, name: "delete a container", allow: acctWriters,
			setup: ownerDoes(call("PUT", "{a}/dc-{c}", nil)), req: call("DELETE", "{a}/dc-{c}", nil)},

		// Object reads, temp URLs (the key holders) and large objects.
		{route: "GET " + obj, name: "GET c/o", allow: objReaders, req: call("GET", "{a}/c/o", nil)},
		{route: "GET " + obj, name: "HEAD c/o", allow: objReaders, req: call("HEAD", "{a}/c/o", nil)},
		{route: "GET " + obj, name: "GET private/o", allow: acctReadersAndKey, req: call("GET", "{a}/private/o", nil)},
		{route: "GET " + obj, name: "SLO in c of segments in segs", allow: acctReadersAndKey, req: call("GET", "{a}/c/slo-out", nil)},
		{route: "GET " + obj, name: "DLO in c of segments in segs", allow: acctReadersAndKey, req: call("GET", "{a}/c/dlo-out", nil)},
		{route: "GET " + obj, name: "SLO in c of segments in c", allow: objReaders, req: call("GET", "{a}/c/slo-in", nil)},
		{route: "GET " + obj, name: "SLO manifest itself", allow: objReaders, req: call("GET", "{a}/c/slo-out?multipart-manifest=get", nil)},
		{route: "GET " + obj, name: "versioned container", allow: acctReadersAndKey, req: call("GET", "{a}/ver/o", nil)},
		// A temp URL signs objects only: the web container's listing is not one.
		{route: "GET " + obj, name: "static web index", allow: withToken.plus(anonymous), req: call("GET", "{a}/web/", nil)},
		{route: "GET " + obj, name: "static web object", allow: everyone.minus(containerKey), req: call("GET", "{a}/web/index.html", nil)},

		// Object writes.
		{route: "PUT " + obj, name: "PUT c/new", allow: objWriters, req: putObj("{a}/c/w-{c}", "x")},
		{route: "PUT " + obj, name: "PUT private/new", allow: acctWritersAndKey, req: putObj("{a}/private/w-{c}", "x")},
		{route: "PUT " + obj, name: "X-Copy-From within c", allow: objWriters, req: putObj("{a}/c/cpin-{c}", "", "X-Copy-From: c/o")},
		{route: "PUT " + obj, name: "X-Copy-From private into c", allow: acctWritersAndKey, req: putObj("{a}/c/cp-{c}", "", "X-Copy-From: private/o")},
		{route: "PUT " + obj, name: "SLO of segments in c", allow: objWriters,
			req: putObj("{a}/c/slo-{c}?multipart-manifest=put", `[{"path":"/c/o"}]`)},
		{route: "PUT " + obj, name: "SLO of segments in private", allow: acctWritersAndKey,
			req: putObj("{a}/c/sloout-{c}?multipart-manifest=put", `[{"path":"/private/o"}]`), refused: orStatus(400)},
		// A temp URL may not make a DLO (it could point anywhere).
		{route: "PUT " + obj, name: "DLO manifest", allow: contWriters, req: putObj("{a}/c/dlo-{c}", "", "X-Object-Manifest: c/o"),
			refused: orStatus(400)},
		{route: "PUT " + obj, name: "overwrite in a versioned container", allow: acctWritersAndKey,
			setup: ownerDoes(putObj("{a}/ver/v-{c}", "v1")), req: putObj("{a}/ver/v-{c}", "v2")},
		{route: "POST " + obj, name: "object metadata", allow: objWriters, req: call("POST", "{a}/c/o", nil, "X-Object-Meta-Probe: {c}")},
		{route: "DELETE " + obj, name: "DELETE c/x", allow: objWriters,
			setup: ownerDoes(putObj("{a}/c/d-{c}", "x")), req: call("DELETE", "{a}/c/d-{c}", nil)},
		{route: "DELETE " + obj, name: "DELETE private/x", allow: acctWritersAndKey,
			setup: ownerDoes(putObj("{a}/private/d-{c}", "x")), req: call("DELETE", "{a}/private/d-{c}", nil)},
		{route: "DELETE " + obj, name: "delete an SLO and its segments in c", allow: objWriters,
			setup: ownerDoes(putObj("{a}/c/ms-{c}", "s"), putObj("{a}/c/m-{c}?multipart-manifest=put", `[{"path":"/c/ms-{c}"}]`)),
			req:   call("DELETE", "{a}/c/m-{c}?multipart-manifest=delete", nil, "Accept: text/plain"),
			ok:    reportOK("Number Deleted: 2"), refused: reportRefused("Number Deleted: 0")},
		{route: "DELETE " + obj, name: "delete an SLO in c with segments in private", allow: acctWritersAndKey,
			setup: ownerDoes(putObj("{a}/private/mx-{c}", "s"), putObj("{a}/c/mx-{c}?multipart-manifest=put", `[{"path":"/private/mx-{c}"}]`)),
			req:   call("DELETE", "{a}/c/mx-{c}?multipart-manifest=delete", nil, "Accept: text/plain"),
			ok:    reportOK("Number Deleted: 2"), refused: func(r reply) bool {
				// The manifest may go; the segment it names must stay.
				return reportRefused("Number Deleted: 0")(r) || reportRefused("Number Deleted: 1")(r)
			}},
		{route: "DELETE " + obj, name: "delete in a versioned container (restores)", allow: acctWritersAndKey,
			setup: ownerDoes(putObj("{a}/ver/r-{c}", "v1"), putObj("{a}/ver/r-{c}", "v2")), req: call("DELETE", "{a}/ver/r-{c}", nil)},
		// Symlinks: the target is read as the caller would read it directly.
		{route: "GET " + obj, name: "symlink to c/o", allow: objReaders, req: call("GET", "{a}/c/link-in", nil)},
		{route: "GET " + obj, name: "symlink in c to private/o", allow: acctReadersAndKey, req: call("GET", "{a}/c/link-out", nil)},
		// A temp URL carries no ?symlink=get (tempurl.py drops other parameters): it follows the link.
		{route: "GET " + obj, name: "the symlink itself (?symlink=get)", allow: contReaders.plus(accountKey),
			req: call("GET", "{a}/c/link-out?symlink=get", nil)},
		// A temp URL may not make a link (X-Symlink-Target is a disallowed header).
		{route: "PUT " + obj, name: "make a symlink", allow: contWriters, req: putObj("{a}/c/sym-{c}", "", "X-Symlink-Target: c/o"),
			refused: orStatus(400)},
		{route: "POST " + obj, name: "POST to a symlink (307)", allow: objWriters, req: call("POST", "{a}/c/link-in", nil, "X-Object-Meta-P: {c}")},
		// Object versioning: versions live in a container no request names; reading or
		// deleting one needs the account (a temp URL's version-id is dropped: it acts on
		// the current object, which the account key may).
		{route: "GET " + obj, name: "versioned object", allow: acctReadersAndKey, req: call("GET", "{a}/nv/o", nil)},
		{route: "GET " + obj, name: "a version (?version-id)", allow: acctReadersAndKey, req: func(w *world, c caller) *http.Request {
			return w.request("GET", w.acct+"/nv/o?version-id="+w.nvV1, nil)
		}},
		{route: "GET " + cont, name: "?versions listing", allow: acctReaders, req: call("GET", "{a}/nv?versions", nil)},
		{route: "PUT " + obj, name: "a new version", allow: acctWritersAndKey, req: putObj("{a}/nv/n-{c}", "x")},
		{route: "DELETE " + obj, name: "delete marker", allow: acctWritersAndKey,
			setup: ownerDoes(putObj("{a}/nv/dm-{c}", "x")), req: call("DELETE", "{a}/nv/dm-{c}", nil)},
		{route: "DELETE " + obj, name: "delete a version (?version-id)", allow: acctWritersAndKey, setup: versionFor("dv"),
			req: onScratchObj("DELETE", "{a}/nv/dv-{c}?version-id=%s")},
		{route: "PUT " + obj, name: "make a version current (PUT ?version-id)", allow: acctWritersAndKey, setup: versionFor("rv"),
			req: onScratchObj("PUT", "{a}/nv/rv-{c}?version-id=%s")},
		// 400 for everyone who may write nv; a temp URL's version-id is dropped, so the account key POSTs to the current object.
		{route: "POST " + obj, name: "POST a version", allow: callers{accountKey}, refused: orStatus(400), req: func(w *world, c caller) *http.Request {
			return w.request("POST", w.acct+"/nv/o?version-id="+w.nvV1, nil)
		}},
		{route: "COPY " + obj, name: "COPY a version", allow: acctWriters, req: func(w *world, c caller) *http.Request {
			return w.request("COPY", w.acct+"/nv/o?version-id="+w.nvV1, nil, "Destination: nv/cv-"+string(c))
		}},
		{route: "PUT " + obj, name: "X-Copy-From a version into c", allow: acctWritersAndKey, req: func(w *world, c caller) *http.Request {
			return w.request("PUT", w.acct+"/c/xv-"+string(c)+"?version-id="+w.nvV1, "", "X-Copy-From: nv/o")
		}},
		// The versions container is no request's to name, not even through an escaped slash.
		{route: "GET " + cont, name: "the versions container", allow: nobody, refused: orStatus(412),
			req: call("GET", "{a}/%01versions%2Fnv", nil)},
		{route: "GET " + obj, name: "a row of the versions container", allow: nobody, refused: orStatus(412),
			req: call("GET", "{a}/%01versions%2Fnv/o", nil)},
		{route: "PUT " + cont, name: "create with versioning", allow: acctWriters, req: call("PUT", "{a}/vc-{c}", nil, "X-Versions-Enabled: true")},
		{route: "POST " + cont, name: "enable versioning", allow: acctWriters, req: call("POST", "{a}/c", nil, "X-Versions-Enabled: false")},
		{route: "DELETE " + cont, name: "delete a versioned container", allow: acctWriters,
			setup: ownerDoes(call("PUT", "{a}/dvc-{c}", nil, "X-Versions-Enabled: true")), req: call("DELETE", "{a}/dvc-{c}", nil)},
		// COPY cannot be signed (tempurl methods), so key holders never COPY.
		{route: "COPY " + obj, name: "COPY within c", allow: contWriters, req: call("COPY", "{a}/c/o", nil, "Destination: c/cpy-{c}")},
		{route: "COPY " + obj, name: "COPY c into private", allow: acctWriters, req: call("COPY", "{a}/c/o", nil, "Destination: private/cpy-{c}")},
		{route: "COPY " + obj, name: "COPY private into c", allow: acctWriters, req: call("COPY", "{a}/private/o", nil, "Destination: c/cpy2-{c}")},
	}
}

// versionFor makes nv/<prefix>-<c> with two versions (as the owner) and
// keeps the first version's id for the request.
func versionFor(prefix string) func(w *world, c caller) {
	return func(w *world, c caller) {
		name := w.acct + "/nv/" + prefix + "-" + string(c)
		w.scratch[c] = w.as(201, "PUT", name, "1").header.Get("X-Object-Version-Id")
		w.as(201, "PUT", name, "2")
	}
}

// onScratchObj is c's request on a path whose %s is the scratch value.
func onScratchObj(method, path string) func(w *world, c caller) *http.Request {
	return func(w *world, c caller) *http.Request {
		return w.request(method, w.expand(fmt.Sprintf(path, w.scratch[c]), c), nil)
	}
}
