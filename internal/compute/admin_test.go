package compute

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAggregatesZonesAndScheduling(t *testing.T) {
	e := newEnv(t)
	e.must(e.do("GET", "/os-aggregates", "alice", nil), 403)
	e.must(e.do("POST", "/os-aggregates", "admin", map[string]any{"aggregate": map[string]any{"name": ""}}), 400)
	e.must(e.do("POST", "/os-aggregates", "admin", map[string]any{"aggregate": map[string]any{"name": strings.Repeat("a", 256)}}), 400)
	a := e.must(e.do("POST", "/os-aggregates", "admin", map[string]any{"aggregate": map[string]any{"name": "agg1", "availability_zone": "zone-x"}}), 200).JSON(t)["aggregate"].(map[string]any)
	if _, ok := a["hosts"]; ok {
		t.Fatalf("create view has hosts: %v", a)
	}
	e.must(e.do("POST", "/os-aggregates", "admin", map[string]any{"aggregate": map[string]any{"name": "agg1"}}), 409)
	id := fmt.Sprint(a["id"])
	act := func(body any, want int) map[string]any {
		return e.must(e.do("POST", "/os-aggregates/"+id+"/action", "admin", body), want).JSON(t)
	}
	act(map[string]any{"add_host": map[string]any{"host": "nope"}}, 404)
	got := act(map[string]any{"add_host": map[string]any{"host": "h2"}}, 200)["aggregate"].(map[string]any)
	if fmt.Sprint(got["hosts"]) != "[h2]" || got["metadata"].(map[string]any)["availability_zone"] != "zone-x" {
		t.Fatalf("add_host: %v", got)
	}
	act(map[string]any{"add_host": map[string]any{"host": "h2"}}, 409)
	act(map[string]any{"remove_host": map[string]any{"host": "h1"}}, 404)
	got = act(map[string]any{"set_metadata": map[string]any{"metadata": map[string]any{"k": "v"}}}, 200)["aggregate"].(map[string]any)
	if got["metadata"].(map[string]any)["k"] != "v" {
		t.Fatalf("set_metadata: %v", got)
	}
	// The zone is listed, and a server asked for it lands on h2.
	zones := e.must(e.do("GET", "/os-availability-zone", "alice", nil), 200)
	if !zones.has(`"zoneName":"zone-x"`) {
		t.Fatalf("zones: %s", zones.Body)
	}
	sv := e.boot("alice", "in-x", map[string]any{"availability_zone": "zone-x"})
	if sv["OS-EXT-AZ:availability_zone"] != "zone-x" || e.show("admin", sv["id"].(string))["OS-EXT-SRV-ATTR:host"] != "h2" {
		t.Fatalf("server in zone-x: %v", sv)
	}
	// Another aggregate in another zone cannot take h2.
	b := e.must(e.do("POST", "/os-aggregates", "admin", map[string]any{"aggregate": map[string]any{"name": "agg2", "availability_zone": "zone-y"}}), 200).JSON(t)["aggregate"].(map[string]any)
	e.must(e.do("POST", fmt.Sprintf("/os-aggregates/%v/action", b["id"]), "admin", map[string]any{"add_host": map[string]any{"host": "h2"}}), 409)
	e.must(e.do("PUT", "/os-aggregates/"+id, "admin", map[string]any{"aggregate": map[string]any{"name": "agg1-new"}}), 200)
	e.must(e.do("DELETE", "/os-aggregates/"+id, "admin", nil), 400)
	act(map[string]any{"remove_host": map[string]any{"host": "h2"}}, 200)
	e.must(e.do("DELETE", "/os-aggregates/"+id, "admin", nil), 200)
	e.must(e.do("GET", "/os-aggregates/"+id, "admin", nil), 404)
	e.must(e.do("GET", "/os-aggregates/x", "admin", nil), 404)
}

func TestServicesHypervisorsHosts(t *testing.T) {
	e := newEnv(t)
	e.must(e.do("GET", "/os-services", "alice", nil), 403)
	svcs := e.must(e.do("GET", "/os-services?binary=nova-compute", "admin", nil), 200).JSON(t)["services"].([]any)
	if len(svcs) != 3 {
		t.Fatalf("services: %v", svcs)
	}
	if n := len(e.must(e.do("GET", "/os-services?host=xxx&binary=nova-compute", "admin", nil), 200).JSON(t)["services"].([]any)); n != 0 {
		t.Fatalf("services on xxx: %d", n)
	}
	// Disable h1 and h2 (legacy and 2.53): servers go to h3.
	e.must(e.do("PUT", "/os-services/disable", "admin", map[string]any{"host": "h1", "binary": "nova-compute"}), 200)
	list := e.must(e.do("GET", "/os-services?host=h2", "admin", nil, mvh("2.53")...), 200).JSON(t)["services"].([]any)
	sid := list[0].(map[string]any)["id"].(string)
	r := e.must(e.do("PUT", "/os-services/"+sid, "admin", map[string]any{"status": "disabled", "disabled_reason": "maint"}, mvh("2.53")...), 200).JSON(t)
	if r["service"].(map[string]any)["status"] != "disabled" {
		t.Fatalf("update: %v", r)
	}
	e.must(e.do("PUT", "/os-services/e1e1e1e1-0000-0000-0000-000000000000", "admin", map[string]any{"status": "enabled"}, mvh("2.53")...), 404)
	sv := e.boot("alice", "on-h3", nil)
	if h := e.show("admin", sv["id"].(string))["OS-EXT-SRV-ATTR:host"]; h != "h3" {
		t.Fatalf("host %v, want h3 (h1, h2 disabled)", h)
	}
	hy := e.must(e.do("GET", "/os-hypervisors/detail", "admin", nil), 200).JSON(t)["hypervisors"].([]any)
	if len(hy) != 3 || hy[0].(map[string]any)["status"] != "disabled" || hy[2].(map[string]any)["running_vms"] != float64(1) {
		t.Fatalf("hypervisors: %v", hy)
	}
	e.must(e.do("GET", "/os-hypervisors/3", "admin", nil), 200)
	e.must(e.do("GET", "/os-hypervisors/99", "admin", nil), 404)
	e.must(e.do("GET", "/os-hypervisors/3/uptime", "admin", nil), 200)
	e.must(e.do("GET", "/os-hypervisors/statistics", "admin", nil), 200)
	srv := e.must(e.do("GET", "/os-hypervisors/h3/servers", "admin", nil), 200)
	if !srv.has(sv["id"].(string)) {
		t.Fatalf("h3 servers: %s", srv.Body)
	}
	e.must(e.do("GET", "/os-hypervisors/zz/search", "admin", nil), 404)
	e.must(e.do("GET", "/os-hypervisors/h3/search", "admin", nil, mvh("2.53")...), 404)
	id := e.must(e.do("GET", "/os-hypervisors?hypervisor_hostname_pattern=h3&with_servers=true", "admin", nil, mvh("2.53")...), 200).JSON(t)["hypervisors"].([]any)[0].(map[string]any)["id"].(string)
	e.must(e.do("GET", "/os-hypervisors/"+id, "admin", nil, mvh("2.53")...), 200)
	// os-hosts, up to 2.42.
	hosts := e.must(e.do("GET", "/os-hosts?zone=az2", "admin", nil), 200).JSON(t)["hosts"].([]any)
	if len(hosts) != 1 || hosts[0].(map[string]any)["service"] != "compute" {
		t.Fatalf("hosts: %v", hosts)
	}
	det := e.must(e.do("GET", "/os-hosts/h3", "admin", nil), 200).JSON(t)["host"].([]any)
	if len(det) != 4 {
		t.Fatalf("host detail: %v", det)
	}
	e.must(e.do("GET", "/os-hosts/nope", "admin", nil), 404)
	e.must(e.do("PUT", "/os-hosts/h3", "admin", map[string]any{"status": "bad"}), 400)
	e.must(e.do("PUT", "/os-hosts/h1", "admin", map[string]any{"status": "enable"}), 200)
	e.must(e.do("GET", "/os-hosts/nope/reboot", "admin", nil), 404)
	e.must(e.do("GET", "/os-hosts/h1/reboot", "admin", nil), 501)
	e.must(e.do("GET", "/os-hosts", "admin", nil, mvh("2.43")...), 404)
}

func TestAffinityMultiCreate(t *testing.T) {
	e := newEnv(t)
	g := e.must(e.do("POST", "/os-server-groups", "alice", map[string]any{"server_group": map[string]any{"name": "g", "policies": []string{"affinity"}}}), 200).JSON(t)["server_group"].(map[string]any)
	r := e.must(e.do("POST", "/servers", "alice", map[string]any{"server": map[string]any{"name": "aff", "imageRef": imgRaw, "flavorRef": "1", "min_count": 3},
		"os:scheduler_hints": map[string]any{"group": g["id"]}}), 202)
	_ = r
	e.svc.work.idle()
	list := e.must(e.do("GET", "/servers/detail?name=aff&all_tenants=1", "admin", nil, "X-OpenStack-Nova-API-Version", "2.1"), 200).JSON(t)["servers"].([]any)
	hosts := map[any]bool{}
	for _, s := range list {
		hosts[s.(map[string]any)["OS-EXT-SRV-ATTR:host"]] = true
	}
	if len(list) != 3 || len(hosts) != 1 {
		t.Fatalf("affinity: %d servers on %v", len(list), hosts)
	}
}

func TestMigrationsUsageQuotaClasses(t *testing.T) {
	e := newEnv(t)
	sv := e.boot("alice", "mig", nil)
	id := sv["id"].(string)
	e.must(e.act("alice", id, map[string]any{"resize": map[string]any{"flavorRef": "2"}}), 202)
	e.must(e.act("alice", id, map[string]any{"confirmResize": nil}), 204)
	e.must(e.do("GET", "/os-migrations", "alice", nil), 403)
	ms := e.must(e.do("GET", "/os-migrations?instance_uuid="+id, "admin", nil, mvh("2.59")...), 200).JSON(t)["migrations"].([]any)
	if len(ms) != 1 {
		t.Fatalf("migrations: %v", ms)
	}
	m := ms[0].(map[string]any)
	if m["status"] != "confirmed" || m["migration_type"] != "resize" || m["old_instance_type_id"] != float64(1) || m["new_instance_type_id"] != float64(2) {
		t.Fatalf("migration: %v", m)
	}
	e.must(e.do("GET", "/servers/"+id+"/migrations", "admin", nil, mvh("2.23")...), 200)
	host := m["source_compute"].(string)
	for _, q := range []string{"?host=" + host, "?source_compute=" + host, "?host=" + host + "&source_compute=" + host + "&status=confirmed"} {
		if ms := e.must(e.do("GET", "/os-migrations"+q, "admin", nil), 200).JSON(t)["migrations"].([]any); len(ms) != 1 {
			t.Fatalf("migrations%s: %v", q, ms)
		}
	}
	if ms := e.must(e.do("GET", "/os-migrations?host=nohost", "admin", nil), 200).JSON(t)["migrations"].([]any); len(ms) != 0 {
		t.Fatalf("migrations of another host: %v", ms)
	}

	// Simple tenant usage.
	start := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05.000000")
	end := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05.000000")
	u := e.must(e.do("GET", "/os-simple-tenant-usage/p-alice?start="+start+"&end="+end, "alice", nil), 200).JSON(t)["tenant_usage"].(map[string]any)
	if len(u["server_usages"].([]any)) != 1 || u["tenant_id"] != "p-alice" {
		t.Fatalf("usage: %v", u)
	}
	e.must(e.do("GET", "/os-simple-tenant-usage/p-alice?start="+end+"&end="+start, "alice", nil), 400)
	e.must(e.do("GET", "/os-simple-tenant-usage/p-bob", "alice", nil), 403)
	e.must(e.do("GET", "/os-simple-tenant-usage?detailed=1", "alice", nil), 403)
	all := e.must(e.do("GET", "/os-simple-tenant-usage?detailed=1&start="+start+"&end="+end, "admin", nil), 200).JSON(t)["tenant_usages"].([]any)
	if len(all) != 1 {
		t.Fatalf("usages: %v", all)
	}
	e.must(e.do("GET", "/os-instance_usage_audit_log", "admin", nil), 200)
	e.must(e.do("GET", "/os-instance_usage_audit_log/invalid_time", "admin", nil), 400)
	e.must(e.do("GET", "/os-instance_usage_audit_log/2026-01-01%2000:00:00", "admin", nil), 200)

	// Quota classes: the default class changes the defaults.
	q := e.must(e.do("GET", "/os-quota-class-sets/default", "admin", nil), 200).JSON(t)["quota_class_set"].(map[string]any)
	if q["id"] != "default" || q["instances"] != float64(10) || q["fixed_ips"] == nil {
		t.Fatalf("quota class: %v", q)
	}
	up := e.must(e.do("PUT", "/os-quota-class-sets/default", "admin", map[string]any{"quota_class_set": map[string]any{"instances": 50}}, mvh("2.57")...), 200).JSON(t)["quota_class_set"].(map[string]any)
	if up["instances"] != float64(50) || up["injected_files"] != nil {
		t.Fatalf("quota class update: %v", up)
	}
	d := e.must(e.do("GET", "/os-quota-sets/p-alice/defaults", "alice", nil), 200).JSON(t)["quota_set"].(map[string]any)
	if d["instances"] != float64(50) {
		t.Fatalf("defaults after class update: %v", d)
	}
	e.must(e.do("PUT", "/os-quota-class-sets/default", "admin", map[string]any{"quota_class_set": map[string]any{"fixed_ips": 5}}, mvh("2.50")...), 400)
}

func TestDiagnosticsEventsExtensionsActions(t *testing.T) {
	e := newEnv(t)
	sv := e.boot("alice", "diag", nil)
	id := sv["id"].(string)
	e.must(e.do("GET", "/servers/"+id+"/diagnostics", "alice", nil), 403)
	d := e.must(e.do("GET", "/servers/"+id+"/diagnostics", "admin", nil, mvh("2.48")...), 200).JSON(t)
	if d["state"] != "running" || d["driver"] != "libvirt" || d["num_cpus"] != float64(1) {
		t.Fatalf("diagnostics: %v", d)
	}
	if old := e.must(e.do("GET", "/servers/"+id+"/diagnostics", "admin", nil), 200).JSON(t); old["cpu0_time"] == nil {
		t.Fatalf("old diagnostics: %v", old)
	}
	ev := e.must(e.do("POST", "/os-server-external-events", "admin", map[string]any{"events": []any{map[string]any{"name": "network-changed", "server_uuid": id}}}), 200).JSON(t)
	if ev["events"].([]any)[0].(map[string]any)["code"] != float64(200) {
		t.Fatalf("events: %v", ev)
	}
	e.must(e.do("POST", "/os-server-external-events", "admin", map[string]any{"events": []any{map[string]any{"name": "network-changed", "server_uuid": "00000000-0000-0000-0000-000000000000"}}}), 404)
	ext := e.must(e.do("GET", "/extensions", "alice", nil), 200)
	if !ext.has(`"name":"Hosts"`) {
		t.Fatalf("extensions: %s", ext.Body)
	}
	e.must(e.do("GET", "/extensions/os-consoles", "alice", nil), 200)
	e.must(e.do("GET", "/extensions/nope", "alice", nil), 404)

	// Actions on a missing server are 404 before 501; restore is 409.
	missing := "00000000-0000-0000-0000-000000000000"
	e.must(e.act("admin", missing, map[string]any{"migrate": nil}), 404)
	e.must(e.act("admin", missing, map[string]any{"forceDelete": nil}), 404)
	e.must(e.act("admin", missing, map[string]any{"restore": nil}), 404)
	e.must(e.act("alice", id, map[string]any{"migrate": nil}), 501)
	e.must(e.act("alice", id, map[string]any{"restore": nil}), 409)

	// createBackup with rotation 2 keeps the two newest backups.
	var ids []string
	for i := 0; i < 3; i++ {
		r := e.must(e.act("alice", id, map[string]any{"createBackup": map[string]any{"name": fmt.Sprintf("b%d", i), "backup_type": "daily", "rotation": 2}}, mvh("2.45")...), 202)
		ids = append(ids, r.JSON(t)["image_id"].(string))
		e.waitImage(ids[i])
		time.Sleep(5 * time.Millisecond)
	}
	if e.imgs.get(ids[0]) != nil || e.imgs.get(ids[1]) == nil || e.imgs.get(ids[2]) == nil {
		t.Fatalf("rotation kept %v %v %v", e.imgs.get(ids[0]) != nil, e.imgs.get(ids[1]) != nil, e.imgs.get(ids[2]) != nil)
	}
	if p := e.imgs.get(ids[2]).Properties; p["image_type"] != "backup" || p["backup_type"] != "daily" {
		t.Fatalf("backup properties: %v", p)
	}
	e.must(e.act("alice", id, map[string]any{"createBackup": map[string]any{"name": "b", "backup_type": "daily"}}), 400)
	e.must(e.act("alice", id, map[string]any{"forceDelete": nil}), 202)
	e.must(e.do("GET", "/servers/"+id, "alice", nil), 404)
}
