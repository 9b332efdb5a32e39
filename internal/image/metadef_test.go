package image

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const mdNS = "/image/v2/metadefs/namespaces"

// errMessage is the message of a Glance JSON error body.
func errMessage(t *testing.T, r resp) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("error body %q: %v", r.Body, err)
	}
	return strings.TrimSuffix(m.Message, "<br /><br />\n\n\n")
}

// expect checks a status and, when msg is set, the error message.
func (e *env) expect(r resp, code int, msg string) resp {
	e.t.Helper()
	if r.Code != code {
		e.t.Fatalf("status %d, want %d: %s", r.Code, code, r.Body)
	}
	if msg != "" {
		if got := errMessage(e.t, r); got != msg {
			e.t.Fatalf("message %q, want %q", got, msg)
		}
	}
	return r
}

func names(t *testing.T, r resp, list, key string) []string {
	t.Helper()
	var out []string
	for _, x := range r.JSON(t)[list].([]any) {
		out = append(out, x.(map[string]any)[key].(string))
	}
	return out
}

func TestMetadefSeeded(t *testing.T) {
	e := newEnv(t)
	rts := names(t, e.mustCode(e.do("GET", "/image/v2/metadefs/resource_types", "alice", nil), 200), "resource_types", "name")
	for _, want := range []string{"OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor", "OS::Nova::Server", "OS::Nova::Aggregate"} {
		if !slices.Contains(rts, want) {
			t.Errorf("resource types %v lack %s", rts, want)
		}
	}
	// Every public standard namespace is seen by a member; the two without
	// a visibility in Glance's files are private to their owner, "admin".
	all := names(t, e.mustCode(e.do("GET", mdNS+"?limit=1000", "admin", nil), 200), "namespaces", "namespace")
	mine := names(t, e.mustCode(e.do("GET", mdNS+"?limit=1000", "alice", nil), 200), "namespaces", "namespace")
	if len(all) != 33 || len(mine) != 31 {
		t.Fatalf("admin sees %d namespaces, alice %d; want 33 and 31", len(all), len(mine))
	}
	e.expect(e.do("GET", mdNS+"/OS::Glance::CommonImageProperties", "alice", nil), 404, "The resource could not be found.")
	d := e.mustCode(e.do("GET", mdNS+"/OS::Compute::Quota", "alice", nil), 200).JSON(t)
	if d["owner"] != "admin" || d["protected"] != true || d["visibility"] != "public" || d["updated_at"] != nil {
		t.Fatalf("seeded namespace: %v", d)
	}
	if objs := d["objects"].([]any); len(objs) == 0 || objs[0].(map[string]any)["self"] == nil {
		t.Fatalf("objects: %v", d["objects"])
	}
	// The prefix of a resource type's association on property names.
	d = e.mustCode(e.do("GET", mdNS+"/OS::Compute::CPUPinning?resource_type=OS::Nova::Flavor", "alice", nil), 200).JSON(t)
	if _, ok := d["properties"].(map[string]any)["hw:cpu_policy"]; !ok {
		t.Fatalf("prefixed properties: %v", d["properties"])
	}
	// Seeded namespaces are protected.
	e.expect(e.do("DELETE", mdNS+"/OS::Compute::Quota", "admin", nil), 403,
		"Metadata definition namespace OS::Compute::Quota is protected and cannot be deleted.")
	// A restart does not load them again (nor a deleted one).
	if err := seedMetadefs(t.Context(), e.svc.db); err != nil {
		t.Fatal(err)
	}
	if n := names(t, e.mustCode(e.do("GET", mdNS+"?limit=1000", "admin", nil), 200), "namespaces", "namespace"); len(n) != 33 {
		t.Fatalf("after a second seed: %d namespaces", len(n))
	}
}

func TestMetadefSchemaErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		body string
		code int
		msg  string
	}{
		{``, 400, "Body expected in request."},
		{`{`, 400, "Malformed JSON in request body."},
		{`{}`, 400, "Provided object does not match schema 'namespace': 'namespace' is a required property"},
		{`{"namespace": 1}`, 400, "Provided object does not match schema 'namespace': 1 is not of type 'string'"},
		{`{"namespace": "n", "visibility": "shared"}`, 400,
			"Provided object does not match schema 'namespace': 'shared' is not one of ['public', 'private']"},
		{`{"namespace": "n", "foo": 1, "bar": 2}`, 400,
			"Provided object does not match schema 'namespace': Additional properties are not allowed ('foo', 'bar' were unexpected)"},
		// An extra attribute (depth 0) wins over a missing one's deeper error.
		{`{"namespace": "n", "x": 1, "properties": {"p": {}}}`, 400,
			"Provided object does not match schema 'namespace': Additional properties are not allowed ('x' was unexpected)"},
		{`{"namespace": "n", "properties": {"p": {"type": "string"}}}`, 400,
			"Provided object does not match schema 'namespace': 'title' is a required property"},
		{`{"namespace": "n", "properties": {"p": {"title": "t", "type": "str"}}}`, 400,
			"Provided object does not match schema 'namespace': 'str' is not one of ['array', 'boolean', 'integer', 'number', 'object', 'string', None]"},
		{`{"namespace": "` + strings.Repeat("x", 81) + `"}`, 400,
			"Provided object does not match schema 'namespace': '" + strings.Repeat("x", 81) + "' is too long"},
		{`{"namespace": "n", "self": "/x"}`, 403, "Attribute 'self' is read-only."},
		{`{"namespace": "n", "created_at": "x"}`, 403, "Attribute 'created_at' is read-only."},
		// Schema errors come before the policy, as Glance's deserializer runs first.
		{`{"namespace": "n", "protected": "yes"}`, 400, "Provided object does not match schema 'namespace': 'yes' is not of type 'boolean'"},
	} {
		r := e.do("POST", mdNS, "alice", c.body)
		if r.Code != c.code || errMessage(t, r) != c.msg {
			t.Errorf("%s: %d %q, want %d %q", c.body, r.Code, errMessage(t, r), c.code, c.msg)
		}
	}
	e.expect(e.do("POST", mdNS, "alice", `{"namespace": "n"}`), 403, "You are not authorized to complete add_metadef_namespace action.")
}

func TestMetadefNamespaceVisibility(t *testing.T) {
	e := newEnv(t)
	e.mustCode(e.do("POST", mdNS, "admin", map[string]any{"namespace": "priv", "display_name": "P"}), 201)
	r := e.mustCode(e.do("POST", mdNS, "admin", map[string]any{"namespace": "pub", "visibility": "public",
		"resource_type_associations": []any{map[string]any{"name": "New::Type", "prefix": "n_"}},
		"properties":                 map[string]any{"p1": map[string]any{"title": "P1", "type": "string", "required": []string{"x"}}},
		"objects":                    []any{map[string]any{"name": "o1", "properties": map[string]any{"q": map[string]any{"title": "Q", "type": "integer"}}}},
		"tags":                       []any{map[string]any{"name": "t1"}}}), 201)
	if !strings.HasSuffix(r.Header.Get("Location"), "/image/v2/metadefs/namespaces/pub") {
		t.Errorf("Location %q", r.Header.Get("Location"))
	}
	created := r.JSON(t)
	if created["owner"] != "p-admin" || created["visibility"] != "public" || created["protected"] != false {
		t.Fatalf("created %v", created)
	}
	// The property keeps only PropertyType's attributes ("required" is not one).
	if p := created["properties"].(map[string]any)["p1"].(map[string]any); p["required"] != nil || p["title"] != "P1" {
		t.Fatalf("property %v", p)
	}
	e.expect(e.do("POST", mdNS, "admin", map[string]any{"namespace": "pub"}), 409, "The metadata definition namespace=pub already exists.")
	// A new resource type is created by the association.
	if rts := names(t, e.do("GET", "/image/v2/metadefs/resource_types", "alice", nil), "resource_types", "name"); !slices.Contains(rts, "New::Type") {
		t.Fatalf("resource types %v", rts)
	}

	// Another project's private namespace is hidden everywhere.
	e.expect(e.do("GET", mdNS+"/priv", "alice", nil), 404, "The resource could not be found.")
	e.expect(e.do("GET", mdNS+"/missing", "alice", nil), 404, "Metadata definition namespace=missing was not found.")
	e.expect(e.do("PUT", mdNS+"/priv", "alice", map[string]any{"namespace": "priv"}), 404, "Namespace priv not found")
	e.expect(e.do("DELETE", mdNS+"/priv", "alice", nil), 404, "Namespace priv not found")
	e.expect(e.do("GET", mdNS+"/priv/objects", "alice", nil), 404, "Namespace priv not found")
	e.expect(e.do("GET", mdNS+"/missing/objects", "alice", nil), 404, "Metadata definition namespace=missing was not found.")
	e.expect(e.do("GET", mdNS+"/priv/properties", "alice", nil), 404, "Namespace priv not found")
	e.expect(e.do("GET", mdNS+"/priv/tags", "alice", nil), 404, "Namespace priv not found")
	e.expect(e.do("POST", mdNS+"/priv/tags/x", "alice", nil), 404, "Namespace priv not found")
	e.expect(e.do("GET", mdNS+"?marker=priv", "alice", nil), 404, "Metadata definition namespace=priv was not found.")
	if ns := names(t, e.do("GET", mdNS+"?limit=1000", "alice", nil), "namespaces", "namespace"); slices.Contains(ns, "priv") || !slices.Contains(ns, "pub") {
		t.Fatalf("alice lists %v", ns)
	}
	if ns := names(t, e.do("GET", mdNS+"?visibility=private", "admin", nil), "namespaces", "namespace"); !slices.Contains(ns, "priv") || slices.Contains(ns, "pub") {
		t.Fatalf("admin lists private %v", ns)
	}
	if ns := names(t, e.do("GET", mdNS+"?resource_types=New::Type", "alice", nil), "namespaces", "namespace"); !slices.Equal(ns, []string{"pub"}) {
		t.Fatalf("by resource type %v", ns)
	}

	// A visible namespace refuses non-admin writes by naming the action.
	for _, c := range []struct{ method, path, body, action string }{
		{"PUT", "/pub", `{"namespace": "pub"}`, "modify_metadef_namespace"},
		{"DELETE", "/pub", "", "delete_metadef_namespace"},
		{"POST", "/pub/objects", `{"name": "o2"}`, "add_metadef_object"},
		{"PUT", "/pub/objects/o1", `{"name": "o1"}`, "modify_metadef_object"},
		{"DELETE", "/pub/objects/o1", "", "delete_metadef_object"},
		{"DELETE", "/pub/objects", "", "delete_metadef_namespace"},
		{"POST", "/pub/properties", `{"name": "p2", "title": "t", "type": "string"}`, "add_metadef_property"},
		{"DELETE", "/pub/properties/p1", "", "remove_metadef_property"},
		{"POST", "/pub/tags/t2", "", "add_metadef_tag"},
		{"POST", "/pub/tags", `{"tags": [{"name": "a"}]}`, "add_metadef_tags"},
		{"PUT", "/pub/tags/t1", `{"name": "t3"}`, "modify_metadef_tag"},
		{"DELETE", "/pub/tags/t1", "", "delete_metadef_tag"},
		{"DELETE", "/pub/tags", "", "delete_metadef_namespace"},
		{"POST", "/pub/resource_types", `{"name": "OS::Nova::Flavor"}`, "add_metadef_resource_type_association"},
		{"DELETE", "/pub/resource_types/New::Type", "", "remove_metadef_resource_type_association"},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := e.do(c.method, mdNS+c.path, "alice", body)
		if want := "You are not authorized to complete " + c.action + " action."; r.Code != 403 || errMessage(t, r) != want {
			t.Errorf("%s %s: %d %s, want 403 %q", c.method, c.path, r.Code, r.Body, want)
		}
	}
	// ... and lets members read.
	d := e.mustCode(e.do("GET", mdNS+"/pub", "reader", nil), 200).JSON(t)
	if len(d["objects"].([]any)) != 1 || len(d["tags"].([]any)) != 1 || len(d["resource_type_associations"].([]any)) != 1 {
		t.Fatalf("detail %v", d)
	}
}

func TestMetadefUpdateProtectDelete(t *testing.T) {
	e := newEnv(t)
	e.mustCode(e.do("POST", mdNS, "admin", map[string]any{"namespace": "ns1", "visibility": "public", "protected": true,
		"description": "d", "objects": []any{map[string]any{"name": "o"}}}), 201)
	e.expect(e.do("DELETE", mdNS+"/ns1", "admin", nil), 403, "Metadata definition namespace ns1 is protected and cannot be deleted.")
	e.expect(e.do("DELETE", mdNS+"/ns1/objects/o", "admin", nil), 403, "Metadata definition object o is protected and cannot be deleted.")
	e.expect(e.do("DELETE", mdNS+"/ns1/objects", "admin", nil), 403, "Metadata definition namespace ns1 is protected and cannot be deleted.")
	e.mustCode(e.do("POST", mdNS, "admin", map[string]any{"namespace": "ns2"}), 201)
	e.expect(e.do("PUT", mdNS+"/ns1", "admin", map[string]any{"namespace": "ns2"}), 409,
		"Invalid update. It would result in a duplicate metadata definition namespace with the same name of ns2")
	// PUT replaces: what it leaves out takes the create defaults.
	u := e.mustCode(e.do("PUT", mdNS+"/ns1", "admin", map[string]any{"namespace": "ns3", "display_name": "N"}), 200).JSON(t)
	if u["namespace"] != "ns3" || u["visibility"] != "private" || u["protected"] != false || u["description"] != nil || u["display_name"] != "N" {
		t.Fatalf("updated %v", u)
	}
	e.expect(e.do("GET", mdNS+"/ns1", "admin", nil), 404, "Metadata definition namespace=ns1 was not found.")
	if objs := names(t, e.mustCode(e.do("GET", mdNS+"/ns3/objects", "admin", nil), 200), "objects", "name"); !slices.Equal(objs, []string{"o"}) {
		t.Fatalf("objects follow the rename: %v", objs)
	}
	e.mustCode(e.do("DELETE", mdNS+"/ns3", "admin", nil), 204)
	e.expect(e.do("GET", mdNS+"/ns3/objects", "admin", nil), 404, "Metadata definition namespace=ns3 was not found.")
}

func TestMetadefContents(t *testing.T) {
	e := newEnv(t)
	e.mustCode(e.do("POST", mdNS, "admin", map[string]any{"namespace": "c", "visibility": "public"}), 201)
	base := mdNS + "/c"

	// Objects.
	o := e.mustCode(e.do("POST", base+"/objects", "admin", map[string]any{"name": "obj", "required": []string{"a"},
		"properties": map[string]any{"a": map[string]any{"title": "A", "type": "string", "enum": []string{"x"}}}}), 201).JSON(t)
	if o["self"] != "/v2/metadefs/namespaces/c/objects/obj" || o["schema"] != "/v2/schemas/metadefs/object" || o["created_at"] == nil {
		t.Fatalf("object %v", o)
	}
	e.expect(e.do("POST", base+"/objects", "admin", map[string]any{"name": "obj"}), 409,
		"A metadata definition object with name=obj already exists in namespace=c.")
	e.expect(e.do("POST", base+"/objects", "admin", map[string]any{"name": "o2", "properties": map[string]any{"a": map[string]any{"title": "A"}}}), 400,
		"Provided object does not match schema 'object': 'type' is a required property")
	e.expect(e.do("GET", base+"/objects/none", "alice", nil), 404, "Could not find metadata object none")
	u := e.mustCode(e.do("PUT", base+"/objects/obj", "admin", map[string]any{"name": "obj2"}), 200).JSON(t)
	if u["name"] != "obj2" || len(u["properties"].(map[string]any)) != 0 || len(u["required"].([]any)) != 0 {
		t.Fatalf("updated object %v", u)
	}
	if l := e.mustCode(e.do("GET", base+"/objects", "alice", nil), 200).JSON(t); l["schema"] != "v2/schemas/metadefs/objects" {
		t.Fatalf("objects list %v", l)
	}
	e.mustCode(e.do("DELETE", base+"/objects/obj2", "admin", nil), 204)
	e.expect(e.do("DELETE", base+"/objects/obj2", "admin", nil), 404, "Could not find metadata object obj2")

	// Properties.
	e.expect(e.do("POST", base+"/properties", "admin", map[string]any{"title": "T", "type": "string"}), 400,
		"Provided object does not match schema 'property': 'name' is a required property")
	p := e.mustCode(e.do("POST", base+"/properties", "admin", map[string]any{"name": "hypervisor", "title": "T", "type": "string",
		"enum": []string{"kvm", "xen"}}), 201).JSON(t)
	if p["name"] != "hypervisor" || p["title"] != "T" {
		t.Fatalf("property %v", p)
	}
	e.expect(e.do("POST", base+"/properties", "admin", map[string]any{"name": "hypervisor", "title": "T", "type": "string"}), 409,
		"A metadata definition property with name=hypervisor already exists in namespace=c.")
	p = e.mustCode(e.do("PUT", base+"/properties/hypervisor", "admin", map[string]any{"name": "hypervisor", "title": "U", "type": "string"}), 200).JSON(t)
	if p["title"] != "U" || p["enum"] != nil {
		t.Fatalf("updated property %v", p)
	}
	e.expect(e.do("GET", base+"/properties/none", "alice", nil), 404, "Could not find property none")
	e.mustCode(e.do("POST", base+"/resource_types", "admin", map[string]any{"name": "OS::Glance::Image", "prefix": "hw_"}), 201)
	e.mustCode(e.do("GET", base+"/properties/hw_hypervisor?resource_type=OS::Glance::Image", "alice", nil), 200)
	e.expect(e.do("GET", base+"/properties/hypervisor?resource_type=OS::Glance::Image", "alice", nil), 404,
		"Property hypervisor does not start with the expected resource type association prefix of 'hw_'.")
	e.mustCode(e.do("DELETE", base+"/properties/hypervisor", "admin", nil), 204)
	if l := e.mustCode(e.do("GET", base+"/properties", "alice", nil), 200).JSON(t); len(l["properties"].(map[string]any)) != 0 {
		t.Fatalf("properties %v", l)
	}

	// Resource type associations.
	e.expect(e.do("POST", base+"/resource_types", "admin", map[string]any{"name": "OS::Glance::Image"}), 409,
		"The metadata definition resource-type association of resource-type=OS::Glance::Image to namespace=c already exists.")
	if l := names(t, e.mustCode(e.do("GET", base+"/resource_types", "alice", nil), 200), "resource_type_associations", "name"); !slices.Equal(l, []string{"OS::Glance::Image"}) {
		t.Fatalf("associations %v", l)
	}
	e.mustCode(e.do("DELETE", base+"/resource_types/OS::Glance::Image", "admin", nil), 204)
	e.expect(e.do("DELETE", base+"/resource_types/OS::Glance::Image", "admin", nil), 404, "Failed to find resource type OS::Glance::Image to delete")

	// Tags: bulk create replaces unless appending; names are unique without regard to case.
	e.mustCode(e.do("POST", base+"/tags", "admin", map[string]any{"tags": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}}), 201)
	e.mustCode(e.do("POST", base+"/tags", "admin", map[string]any{"tags": []any{map[string]any{"name": "c"}}}), 201)
	if l := names(t, e.do("GET", base+"/tags", "alice", nil), "tags", "name"); !slices.Equal(l, []string{"c"}) {
		t.Fatalf("replaced tags %v", l)
	}
	e.mustCode(e.do("POST", base+"/tags", "admin", map[string]any{"tags": []any{map[string]any{"name": "d"}}}, "X-Openstack-Append", "true"), 201)
	e.expect(e.do("POST", base+"/tags/C", "admin", nil), 409,
		"A metadata tag with name=C already exists in namespace=c. (Please note that metadata tag names are case insensitive).")
	e.expect(e.do("POST", base+"/tags", "admin", map[string]any{"tags": []any{map[string]any{"name": "x", "id": 1}}}), 400,
		"Provided object does not match schema 'tags': Additional properties are not allowed ('id' was unexpected)")
	tg := e.mustCode(e.do("POST", base+"/tags/e", "admin", nil), 201).JSON(t)
	if tg["name"] != "e" || tg["created_at"] == nil {
		t.Fatalf("tag %v", tg)
	}
	if l := names(t, e.do("GET", base+"/tags?sort_key=name&sort_dir=asc&limit=2&marker=c", "alice", nil), "tags", "name"); !slices.Equal(l, []string{"d", "e"}) {
		t.Fatalf("paged tags %v", l)
	}
	e.mustCode(e.do("PUT", base+"/tags/e", "admin", map[string]any{"name": "f"}), 200)
	e.expect(e.do("PUT", base+"/tags/f", "admin", map[string]any{"name": "D"}), 409,
		"A metadata tag with name=D already exists in namespace=c. (Please note that metadata tag names are case insensitive).")
	e.expect(e.do("GET", base+"/tags/e", "alice", nil), 404, "Could not find metadata tag e")
	e.mustCode(e.do("DELETE", base+"/tags/f", "admin", nil), 204)
	e.mustCode(e.do("DELETE", base+"/tags", "admin", nil), 204)
	if l := e.do("GET", base+"/tags", "alice", nil).JSON(t); len(l["tags"].([]any)) != 0 {
		t.Fatalf("tags after delete all %v", l)
	}
}

func TestMetadefListPaging(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"p1", "p2", "p3"} {
		e.mustCode(e.do("POST", mdNS, "admin", map[string]any{"namespace": n, "visibility": "public"}), 201)
	}
	r := e.mustCode(e.do("GET", mdNS+"?sort_key=namespace&sort_dir=asc&limit=2&visibility=public&resource_types=", "admin", nil), 200).JSON(t)
	ns := r["namespaces"].([]any)
	next, _ := r["next"].(string)
	if len(ns) != 2 || next == "" || !strings.Contains(r["first"].(string), "sort_key=namespace") {
		t.Fatalf("page %v", r)
	}
	u, _ := url.Parse(next)
	if got := u.Query().Get("marker"); got != ns[1].(map[string]any)["namespace"] {
		t.Fatalf("next marker %q", got)
	}
	for _, c := range []struct{ q, msg string }{
		{"?sort_dir=up", "Invalid sort direction: up"},
		{"?limit=x", "limit param must be an integer"},
		{"?limit=-1", "limit param must be positive"},
		{"?visibility=shared", "Invalid visibility value: shared"},
	} {
		e.expect(e.do("GET", mdNS+c.q, "alice", nil), 400, c.msg)
	}
}

func TestPyRepr(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"it's"`, `"it's"`}, {`"a\"b'c"`, `'a"b\'c'`}, {`"\n\u0001é"`, `'\n\x01é'`}, {`1`, `1`}, {`1.5`, `1.5`},
		{`1e3`, `1000.0`}, {`true`, `True`}, {`null`, `None`}, {`[1, "a"]`, `[1, 'a']`}, {`{"b": 1, "a": [false]}`, `{'b': 1, 'a': [False]}`},
	} {
		v, err := decodeOrdered([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := pyRepr(v); got != c.want {
			t.Errorf("pyRepr(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// FuzzMetadefBody feeds arbitrary bytes to the body decoding and schema
// validation of every metadef resource: refusals are faults, never panics.
func FuzzMetadefBody(f *testing.F) {
	f.Add([]byte(`{"namespace": "n", "properties": {"p": {"title": "t", "type": "array", "items": {"type": "string"}}}}`))
	f.Add([]byte(`{"tags": [{"name": "a"}], "objects": [{"name": 1}]}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []string{"namespace", "object", "property", "tag", "resource_type", "tags"} {
			o, err := decodeBody(b, s)
			if err != nil {
				continue
			}
			if s == "namespace" {
				namespaceFrom(o)
			}
			if s == "object" {
				objectFrom(o)
			}
			if s == "property" {
				propertyType(o)
			}
		}
	})
}
