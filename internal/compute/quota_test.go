package compute

import (
	"testing"
)

func TestLimitsAndQuotaSets(t *testing.T) {
	e := newEnv(t)
	r := e.must(e.do("GET", "/limits", "alice", nil), 200)
	for _, k := range []string{`"maxTotalInstances":10`, `"maxTotalCores":20`, `"maxImageMeta":128`, `"maxSecurityGroups":10`, `"totalInstancesUsed":0`, `"rate":[]`} {
		if !r.has(k) {
			t.Fatalf("limits lack %s: %s", k, r.Body)
		}
	}
	r = e.must(e.do("GET", "/limits", "alice", nil, mvh("2.57")...), 200)
	if r.has("maxSecurityGroups") || r.has("maxPersonality") || r.has("maxImageMeta") {
		t.Fatalf("2.57 limits: %s", r.Body)
	}
	e.must(e.do("GET", "/limits?tenant_id=p-bob", "alice", nil), 403)

	r = e.must(e.do("GET", "/os-quota-sets/p-alice", "alice", nil), 200)
	if !r.has(`"id":"p-alice"`) || !r.has(`"instances":10`) || !r.has(`"fixed_ips":-1`) {
		t.Fatalf("quota set: %s", r.Body)
	}
	e.must(e.do("GET", "/os-quota-sets/p-bob", "alice", nil), 403)
	e.must(e.do("PUT", "/os-quota-sets/p-alice", "alice", map[string]any{"quota_set": map[string]any{"instances": 5}}), 403)
	r = e.must(e.do("PUT", "/os-quota-sets/p-alice", "admin", map[string]any{"quota_set": map[string]any{"instances": 5, "cores": "-1"}}), 200)
	if !r.has(`"instances":5`) || !r.has(`"cores":-1`) || r.has(`"id"`) {
		t.Fatalf("update: %s", r.Body)
	}
	e.must(e.do("PUT", "/os-quota-sets/p-alice", "admin", map[string]any{"quota_set": map[string]any{"instances": -2}}), 400)
	e.must(e.do("PUT", "/os-quota-sets/p-alice", "admin", map[string]any{"quota_set": map[string]any{"security_groups": 1}}, mvh("2.36")...), 400)
	r = e.must(e.do("GET", "/os-quota-sets/p-alice/detail", "alice", nil), 200)
	if !r.has(`"instances":{"in_use":0,"limit":5,"reserved":0}`) {
		t.Fatalf("detail: %s", r.Body)
	}
	r = e.must(e.do("GET", "/limits", "alice", nil), 200)
	if !r.has(`"maxTotalInstances":5`) {
		t.Fatalf("limits after update: %s", r.Body)
	}
	r = e.must(e.do("GET", "/os-quota-sets/p-alice/defaults", "alice", nil), 200)
	if !r.has(`"instances":10`) {
		t.Fatalf("defaults: %s", r.Body)
	}
	e.must(e.do("DELETE", "/os-quota-sets/p-alice", "admin", nil), 202)
	r = e.must(e.do("GET", "/os-quota-sets/p-alice", "alice", nil), 200)
	if !r.has(`"instances":10`) {
		t.Fatalf("after delete: %s", r.Body)
	}
}
