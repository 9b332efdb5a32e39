package server

import (
	"fmt"
	"net/http"
)

// The image rows. {img} is the owner's shared, active image, accepted by
// the ACL users' project (imageFixture); the images a probe changes for
// good are made for each caller, shared with that project the same way,
// so that members are refused by the policy and not by visibility.

// sharedImage makes an image of the owner for caller c, shared with and
// accepted by the ACL users' project; active when it has data; then runs
// after (as the owner) on it.
func sharedImage(name string, active bool, after ...func(w *world, id string)) func(w *world, c caller) {
	return func(w *world, c caller) {
		id := w.newImage(w.expand(name, c), "shared", active)
		w.must(200, "POST", "/image/v2/images/"+id+"/members", ownerMember, map[string]string{"member": w.aclp})
		w.must(200, "PUT", "/image/v2/images/"+id+"/members/"+w.aclp, aclRead, map[string]string{"status": "accepted"})
		for _, f := range after {
			f(w, id)
		}
		w.scratch[c] = id
	}
}

// onScratch is c's request on the image its setup made ({id}).
func onScratch(method, path string, body any, hdr ...string) func(w *world, c caller) *http.Request {
	return func(w *world, c caller) *http.Request {
		return call(method, fmt.Sprintf(path, w.scratch[c]), body, hdr...)(w, c)
	}
}

func imageProbes() []probe {
	const v2 = "/image/v2"
	img := v2 + "/images/{image_id}"
	return []probe{
		{route: "GET /image", name: "versions", allow: everyone, req: call("GET", "/image", nil)},
		{route: "GET /image/{$}", name: "versions", allow: everyone, req: call("GET", "/image/", nil)},
		{route: "GET /image/versions", name: "versions", allow: everyone, req: call("GET", "/image/versions", nil)},
		{route: "GET /image/v2/{$}", name: "versions", allow: everyone, req: call("GET", "/image/v2/", nil)},
		{route: "GET " + v2 + "/schemas/image", name: "schema", allow: withToken, req: call("GET", v2+"/schemas/image", nil)},
		{route: "GET " + v2 + "/schemas/images", name: "schema", allow: withToken, req: call("GET", v2+"/schemas/images", nil)},
		{route: "GET " + v2 + "/schemas/member", name: "schema", allow: withToken, req: call("GET", v2+"/schemas/member", nil)},
		{route: "GET " + v2 + "/schemas/members", name: "schema", allow: withToken, req: call("GET", v2+"/schemas/members", nil)},
		{route: "GET " + v2 + "/schemas/metadefs/{name}", name: "metadef schema", allow: withToken,
			req: call("GET", v2+"/schemas/metadefs/namespace", nil)},

		{route: "POST " + v2 + "/images", name: "create in one's project", allow: projectWriter,
			req: call("POST", v2+"/images", map[string]string{"name": "new"})},
		{route: "GET " + v2 + "/images", name: "list", allow: withToken, req: call("GET", v2+"/images", nil)},
		{route: "GET " + img, name: "show", allow: imageViewers, req: call("GET", v2+"/images/{img}", nil)},
		{route: "PATCH " + img, name: "update", allow: imageWriters, req: func(w *world, c caller) *http.Request {
			return w.request("PATCH", v2+"/images/"+w.img, patch("add", "/p_"+string(c), "v"))
		}},
		{route: "DELETE " + img, name: "delete", allow: imageWriters, setup: sharedImage("del-{c}", false),
			req: onScratch("DELETE", v2+"/images/%s", nil)},
		{route: "POST " + img + "/actions/deactivate", name: "deactivate", allow: imageWriters, setup: sharedImage("act-{c}", true),
			req: onScratch("POST", v2+"/images/%s/actions/deactivate", nil)},
		{route: "POST " + img + "/actions/reactivate", name: "reactivate", allow: imageWriters,
			setup: sharedImage("react-{c}", true, func(w *world, id string) {
				w.must(204, "POST", v2+"/images/"+id+"/actions/deactivate", ownerMember, nil)
			}),
			req: onScratch("POST", v2+"/images/%s/actions/reactivate", nil)},
		{route: "PUT " + img + "/tags/{tag}", name: "add a tag", allow: imageWriters, req: call("PUT", v2+"/images/{img}/tags/t-{c}", nil)},
		{route: "DELETE " + img + "/tags/{tag}", name: "delete a tag", allow: imageWriters,
			setup: ownerDoes(call("PUT", v2+"/images/{img}/tags/d-{c}", nil)), req: call("DELETE", v2+"/images/{img}/tags/d-{c}", nil)},
		{route: "PUT " + img + "/file", name: "upload", allow: imageWriters, setup: sharedImage("up-{c}", false),
			req: onScratch("PUT", v2+"/images/%s/file", []byte("abcd"))},
		{route: "GET " + img + "/file", name: "download", allow: imageViewers, req: call("GET", v2+"/images/{img}/file", nil)},
		{route: "POST " + img + "/members", name: "share", allow: imageWriters,
			req: call("POST", v2+"/images/{img}/members", map[string]string{"member": "m-{c}"})},
		{route: "GET " + img + "/members", name: "list members", allow: imageViewers, req: call("GET", v2+"/images/{img}/members", nil)},
		{route: "GET " + img + "/members/{member_id}", name: "show a member", allow: imageViewers,
			req: call("GET", v2+"/images/{img}/members/{aclp}", nil)},
		// Interoperable import (w.task is the owner's import of a shared image).
		{route: "GET " + v2 + "/info/import", name: "import methods", allow: withToken, req: call("GET", v2+"/info/import", nil)},
		{route: "PUT " + img + "/stage", name: "stage", allow: imageWriters, setup: sharedImage("stg-{c}", false),
			req: onScratch("PUT", v2+"/images/%s/stage", []byte("abcd"))},
		{route: "POST " + img + "/import", name: "import", allow: imageWriters,
			setup: sharedImage("imp-{c}", false, func(w *world, id string) {
				w.must(204, "PUT", v2+"/images/"+id+"/stage", ownerMember, []byte("abcd"))
			}),
			req: onScratch("POST", v2+"/images/%s/import", map[string]any{"method": map[string]string{"name": "glance-direct"}})},
		{route: "GET " + img + "/tasks", name: "an image's tasks", allow: imageViewers,
			req: func(w *world, c caller) *http.Request {
				return w.request("GET", v2+"/images/"+w.taskImage+"/tasks", nil)
			}},
		{route: "GET " + v2 + "/tasks", name: "one's tasks", allow: withToken, req: call("GET", v2+"/tasks", nil)},
		{route: "GET " + v2 + "/tasks/{task_id}", name: "the owner's task", allow: acctReaders,
			req: func(w *world, c caller) *http.Request { return w.request("GET", v2+"/tasks/"+w.task, nil) }},
		// Only the member itself (or a cloud admin) accepts or rejects.
		{route: "PUT " + img + "/members/{member_id}", name: "accept", allow: callers{aclRead, aclWrite, cloudAdmin},
			req: call("PUT", v2+"/images/{img}/members/{aclp}", map[string]string{"status": "accepted"})},
		{route: "DELETE " + img + "/members/{member_id}", name: "unshare", allow: imageWriters,
			setup: ownerDoes(call("POST", v2+"/images/{img}/members", map[string]string{"member": "dm-{c}"})),
			req:   call("DELETE", v2+"/images/{img}/members/dm-{c}", nil)},
	}
}

// novaProbes are the Nova image proxy's rows, under each compute prefix
// (a tenant in the path is the caller's own). K5 answers a refused write
// of image metadata with a 500 (role denied), which counts as refused.
func novaProbes() []probe {
	var out []probe
	for _, pre := range []struct{ route, path string }{
		{"/compute/v2.1", "/compute/v2.1"}, {"/compute/v2/{tenant}", "/compute/v2/{tenant}"}, {"/compute/v1.1/{tenant}", "/compute/v1.1/{tenant}"},
	} {
		r, p := pre.route+"/images", pre.path+"/images"
		k5 := orStatus(500)
		out = append(out,
			probe{route: "GET " + r, name: "list", allow: withToken, req: call("GET", p, nil)},
			probe{route: "GET " + r + "/detail", name: "list", allow: withToken, req: call("GET", p+"/detail", nil)},
			probe{route: "GET " + r + "/{image_id}", name: "show", allow: imageViewers, req: call("GET", p+"/{img}", nil)},
			probe{route: "DELETE " + r + "/{image_id}", name: "delete", allow: imageWriters, setup: sharedImage("ndel-{c}", true),
				req: onScratch("DELETE", p+"/%s", nil), refused: k5},
			probe{route: "GET " + r + "/{image_id}/metadata", name: "metadata", allow: imageViewers, req: call("GET", p+"/{img}/metadata", nil)},
			probe{route: "PUT " + r + "/{image_id}/metadata", name: "replace metadata", allow: imageWriters, refused: k5,
				req: call("PUT", p+"/{img}/metadata", map[string]any{"metadata": map[string]string{"k": "v", "n_{c}": "x"}})},
			probe{route: "POST " + r + "/{image_id}/metadata", name: "merge metadata", allow: imageWriters, refused: k5,
				req: call("POST", p+"/{img}/metadata", map[string]any{"metadata": map[string]string{"m_{c}": "x"}})},
			probe{route: "GET " + r + "/{image_id}/metadata/{key}", name: "metadata item", allow: imageViewers,
				req: call("GET", p+"/{img}/metadata/k", nil)},
			probe{route: "PUT " + r + "/{image_id}/metadata/{key}", name: "set a metadata item", allow: imageWriters, refused: k5,
				req: call("PUT", p+"/{img}/metadata/s_{c}", map[string]any{"meta": map[string]string{"s_{c}": "v"}})},
			probe{route: "DELETE " + r + "/{image_id}/metadata/{key}", name: "delete a metadata item", allow: imageWriters, refused: k5,
				setup: ownerDoes(call("POST", "/compute/v2.1/images/{img}/metadata", map[string]any{"metadata": map[string]string{"d_{c}": "x"}})),
				req:   call("DELETE", p+"/{img}/metadata/d_{c}", nil)},
		)
	}
	return out
}

// adminDoes is a setup of requests made by the cloud admin (the only
// writer of metadata definitions).
func adminDoes(steps ...func(w *world, c caller) *http.Request) func(w *world, c caller) {
	return func(w *world, c caller) {
		for _, s := range steps {
			req := s(w, c)
			w.authorize(req, cloudAdmin)
			if r := w.do(req); r.status >= 300 {
				w.t.Fatalf("setup %s %s: %d %.200s", req.Method, req.URL.Path, r.status, r.body)
			}
		}
	}
}

// metadefFixture makes md-pub (public, with an object o, a property p, a
// tag t and an association with OS::Glance::Image) and md-priv (private
// to the owning project).
func (w *world) metadefFixture() {
	w.must(201, "POST", "/image/v2/metadefs/namespaces", cloudAdmin, map[string]any{"namespace": "md-pub", "visibility": "public",
		"owner": w.owner, "resource_type_associations": []any{map[string]any{"name": "OS::Glance::Image"}},
		"objects": []any{map[string]any{"name": "o"}}, "tags": []any{map[string]any{"name": "t"}},
		"properties": map[string]any{"p": map[string]any{"title": "P", "type": "string"}}})
	w.must(201, "POST", "/image/v2/metadefs/namespaces", cloudAdmin, map[string]any{"namespace": "md-priv", "owner": w.owner})
}

// metadefProbes: reads follow the namespace's visibility (public: anyone
// with a token; private: its owner's project and cloud admins); every
// write is the cloud admin's. Writes that change a namespace for good
// work on one made for each caller, public so that refusals are the
// policy's (403) and not the visibility's.
func metadefProbes() []probe {
	const md = "/image/v2/metadefs"
	ns, ns1 := md+"/namespaces", md+"/namespaces/{namespace}"
	admins := callers{cloudAdmin}
	type obj = map[string]any
	mkNS := func(name string, extra ...obj) func(w *world, c caller) *http.Request {
		body := obj{"namespace": name, "visibility": "public"}
		for _, e := range extra {
			for k, v := range e {
				body[k] = v
			}
		}
		return call("POST", ns, body)
	}
	pub := ns + "/md-pub"
	return []probe{
		{route: "GET " + md + "/resource_types", name: "resource types", allow: withToken, req: call("GET", md+"/resource_types", nil)},
		{route: "GET " + ns, name: "list", allow: withToken, req: call("GET", ns, nil)},
		{route: "POST " + ns, name: "create", allow: admins, req: mkNS("new-{c}")},
		{route: "GET " + ns1, name: "show public", allow: withToken, req: call("GET", pub, nil)},
		{route: "GET " + ns1, name: "show private", allow: acctReaders, req: call("GET", ns+"/md-priv", nil)},
		{route: "PUT " + ns1, name: "update", allow: admins, setup: adminDoes(mkNS("put-{c}")),
			req: call("PUT", ns+"/put-{c}", obj{"namespace": "put-{c}", "visibility": "public"})},
		{route: "DELETE " + ns1, name: "delete", allow: admins, setup: adminDoes(mkNS("del-{c}")), req: call("DELETE", ns+"/del-{c}", nil)},
		{route: "GET " + ns1 + "/resource_types", name: "associations", allow: withToken, req: call("GET", pub+"/resource_types", nil)},
		{route: "POST " + ns1 + "/resource_types", name: "associate", allow: admins, setup: adminDoes(mkNS("rt-{c}")),
			req: call("POST", ns+"/rt-{c}/resource_types", obj{"name": "OS::Nova::Flavor"})},
		{route: "DELETE " + ns1 + "/resource_types/{resource_type}", name: "dissociate", allow: admins,
			setup: adminDoes(mkNS("drt-{c}", obj{"resource_type_associations": []obj{{"name": "OS::Nova::Flavor"}}})),
			req:   call("DELETE", ns+"/drt-{c}/resource_types/OS::Nova::Flavor", nil)},
		{route: "GET " + ns1 + "/objects", name: "private objects", allow: acctReaders, req: call("GET", ns+"/md-priv/objects", nil)},
		{route: "POST " + ns1 + "/objects", name: "add an object", allow: admins, req: call("POST", pub+"/objects", obj{"name": "o-{c}"})},
		{route: "DELETE " + ns1 + "/objects", name: "delete all objects", allow: admins,
			setup: adminDoes(mkNS("dobj-{c}", obj{"objects": []obj{{"name": "x"}}})), req: call("DELETE", ns+"/dobj-{c}/objects", nil)},
		{route: "GET " + ns1 + "/objects/{object}", name: "an object", allow: withToken, req: call("GET", pub+"/objects/o", nil)},
		{route: "PUT " + ns1 + "/objects/{object}", name: "update an object", allow: admins,
			setup: adminDoes(call("POST", pub+"/objects", obj{"name": "po-{c}"})),
			req:   call("PUT", pub+"/objects/po-{c}", obj{"name": "po-{c}", "description": "d"})},
		{route: "DELETE " + ns1 + "/objects/{object}", name: "delete an object", allow: admins,
			setup: adminDoes(call("POST", pub+"/objects", obj{"name": "do-{c}"})), req: call("DELETE", pub+"/objects/do-{c}", nil)},
		{route: "GET " + ns1 + "/properties", name: "private properties", allow: acctReaders, req: call("GET", ns+"/md-priv/properties", nil)},
		{route: "POST " + ns1 + "/properties", name: "add a property", allow: admins,
			req: call("POST", pub+"/properties", obj{"name": "p-{c}", "title": "t", "type": "string"})},
		{route: "DELETE " + ns1 + "/properties", name: "delete all properties", allow: admins,
			setup: adminDoes(mkNS("dprop-{c}")), req: call("DELETE", ns+"/dprop-{c}/properties", nil)},
		{route: "GET " + ns1 + "/properties/{property}", name: "a property", allow: withToken, req: call("GET", pub+"/properties/p", nil)},
		{route: "PUT " + ns1 + "/properties/{property}", name: "update a property", allow: admins,
			setup: adminDoes(call("POST", pub+"/properties", obj{"name": "pp-{c}", "title": "t", "type": "string"})),
			req:   call("PUT", pub+"/properties/pp-{c}", obj{"name": "pp-{c}", "title": "u", "type": "string"})},
		{route: "DELETE " + ns1 + "/properties/{property}", name: "delete a property", allow: admins,
			setup: adminDoes(call("POST", pub+"/properties", obj{"name": "dp-{c}", "title": "t", "type": "string"})),
			req:   call("DELETE", pub+"/properties/dp-{c}", nil)},
		{route: "GET " + ns1 + "/tags", name: "private tags", allow: acctReaders, req: call("GET", ns+"/md-priv/tags", nil)},
		{route: "POST " + ns1 + "/tags", name: "replace tags", allow: admins, setup: adminDoes(mkNS("tags-{c}")),
			req: call("POST", ns+"/tags-{c}/tags", obj{"tags": []obj{{"name": "a"}}})},
		{route: "DELETE " + ns1 + "/tags", name: "delete all tags", allow: admins, setup: adminDoes(mkNS("dtags-{c}")),
			req: call("DELETE", ns+"/dtags-{c}/tags", nil)},
		{route: "GET " + ns1 + "/tags/{tag}", name: "a tag", allow: withToken, req: call("GET", pub+"/tags/t", nil)},
		{route: "POST " + ns1 + "/tags/{tag}", name: "add a tag", allow: admins, req: call("POST", pub+"/tags/t-{c}", nil)},
		{route: "PUT " + ns1 + "/tags/{tag}", name: "rename a tag", allow: admins, setup: adminDoes(call("POST", pub+"/tags/pt-{c}", nil)),
			req: call("PUT", pub+"/tags/pt-{c}", obj{"name": "pt2-{c}"})},
		{route: "DELETE " + ns1 + "/tags/{tag}", name: "delete a tag", allow: admins, setup: adminDoes(call("POST", pub+"/tags/dt-{c}", nil)),
			req: call("DELETE", pub+"/tags/dt-{c}", nil)},
	}
}
