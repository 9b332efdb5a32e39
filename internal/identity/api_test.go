package identity_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
)

func faultKind(err error) fault.Kind {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return -1
}

// apiFixture is alice (member of project alice), bob (member of bob) and
// carol in domain "other" (member of project carol there), plus what the
// cases disable.
type apiFixture struct {
	e                                  *env
	admin                              string
	alice, aliceP, bob, bobP           string
	carol, carolP, otherDomain         string
	disabledUser, disabledP, disabledD string
}

func newAPIFixture(t *testing.T) *apiFixture {
	e := newEnv(t)
	f := &apiFixture{e: e, admin: e.admin(t)}
	f.aliceP, f.alice = e.member(t, f.admin, "alice")
	f.bobP, f.bob = e.member(t, f.admin, "bob")
	member := e.roleID(t, f.admin, "member")
	grant := func(project, user string) {
		if r := e.do(t, "PUT", "/identity/v3/projects/"+project+"/users/"+user+"/roles/"+member, f.admin, nil); r.code != 204 {
			t.Fatalf("grant: %d %s", r.code, r.body)
		}
	}
	patch := func(kind, id string) {
		if r := e.do(t, "PATCH", "/identity/v3/"+kind+"s/"+id, f.admin, map[string]any{kind: map[string]any{"enabled": false}}); r.code != 200 {
			t.Fatalf("disable %s: %d %s", kind, r.code, r.body)
		}
	}
	f.otherDomain = e.create(t, f.admin, "domain", map[string]any{"name": "other"})
	f.carolP = e.create(t, f.admin, "project", map[string]any{"name": "carol", "domain_id": f.otherDomain})
	f.carol = e.create(t, f.admin, "user", map[string]any{"name": "carol", "domain_id": f.otherDomain, "password": "carol-pw"})
	grant(f.carolP, f.carol)

	_, f.disabledUser = e.member(t, f.admin, "dave")
	patch("user", f.disabledUser)
	f.disabledP, _ = e.member(t, f.admin, "erin")
	grant(f.disabledP, f.alice)
	patch("project", f.disabledP)
	f.disabledD = e.create(t, f.admin, "domain", map[string]any{"name": "closed"})
	closedUser := e.create(t, f.admin, "user", map[string]any{"name": "frank", "domain_id": f.disabledD, "password": "frank-pw"})
	grant(f.aliceP, closedUser)
	patch("domain", f.disabledD)
	return f
}

func TestPrincipalFor(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	adminUser := f.e.userID(t, f.admin, "admin")
	adminProject := f.e.projectID(t, f.admin, "admin")
	for _, c := range []struct {
		name, user, project string
		roles               []string // nil: Unauthorized
		admin               bool
	}{
		{"member gets the implied reader", f.alice, f.aliceP, []string{"member", "reader"}, false},
		{"admin on the admin project", adminUser, adminProject, []string{"admin", "member", "reader"}, true},
		{"user of another domain", f.carol, f.carolP, []string{"member", "reader"}, false},
		{"no role on the project", f.alice, f.bobP, nil, false},
		{"another's project", f.bob, f.aliceP, nil, false},
		{"disabled user", f.disabledUser, f.aliceP, nil, false},
		{"disabled project", f.alice, f.disabledP, nil, false},
		{"unknown user", "nope", f.aliceP, nil, false},
		{"unknown project", f.alice, "nope", nil, false},
		{"empty project", f.alice, "", nil, false},
		{"empty user", "", f.aliceP, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := f.e.svc.PrincipalFor(ctx, c.user, c.project)
			if c.roles == nil {
				if faultKind(err) != fault.Unauthorized {
					t.Fatalf("got %v, %v; want Unauthorized", p, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Clone(p.Roles)
			slices.Sort(got)
			if !slices.Equal(got, c.roles) || p.UserID != c.user || p.ProjectID != c.project || p.IsAdmin() != c.admin {
				t.Fatalf("principal %+v, want roles %v admin %v", p, c.roles, c.admin)
			}
		})
	}
	// A user of a disabled domain is refused even where it holds a role.
	closed := f.e.userIDIn(t, f.admin, "frank", f.disabledD)
	if _, err := f.e.svc.PrincipalFor(ctx, closed, f.aliceP); faultKind(err) != fault.Unauthorized {
		t.Fatalf("user of a disabled domain: %v", err)
	}
}

func TestVerifyPassword(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, user, domain, password string
		want                         string // user id; "" for Unauthorized
	}{
		{"right password", "alice", "Default", "alice-pw", f.alice},
		{"other domain by name", "carol", "other", "carol-pw", f.carol},
		{"wrong password", "alice", "Default", "nope", ""},
		{"right password, wrong domain", "alice", "other", "alice-pw", ""},
		{"unknown user", "zed", "Default", "alice-pw", ""},
		{"unknown domain", "alice", "nowhere", "alice-pw", ""},
		{"disabled user", "dave", "Default", "dave-pw", ""},
		{"disabled domain", "frank", "closed", "frank-pw", ""},
		{"empty user name", "", "Default", "x", ""},
		{"empty domain name", "alice", "", "alice-pw", ""},
		{"domain id is not a name", "alice", "default", "alice-pw", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := f.e.svc.VerificationsForTest()
			id, err := f.e.svc.VerifyPassword(ctx, c.user, c.domain, c.password)
			if spent := f.e.svc.VerificationsForTest() - before; spent != 1 {
				t.Errorf("%d bcrypt verifications, want 1", spent)
			}
			if c.want == "" {
				if faultKind(err) != fault.Unauthorized || id != "" {
					t.Fatalf("got %q, %v; want Unauthorized", id, err)
				}
				return
			}
			if err != nil || id != c.want {
				t.Fatalf("got %q, %v; want %s", id, err, c.want)
			}
		})
	}
}

func TestEC2CredentialAPI(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	r := f.e.do(t, "POST", "/identity/v3/users/"+f.alice+"/credentials/OS-EC2", f.admin, map[string]any{"tenant_id": f.aliceP})
	if r.code != 201 {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	cred := r.json(t)["credential"].(map[string]any)
	access, secret := cred["access"].(string), cred["secret"].(string)
	// Another credential's id does not find it.
	other := f.e.create(t, f.admin, "credential", map[string]any{"type": "totp", "blob": "x", "user_id": f.alice})
	for _, c := range []struct {
		name, access string
		ok           bool
	}{
		{"known key", access, true},
		{"unknown key", "nope", false},
		{"empty key", "", false},
		{"a credential id is not an access key", other, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.e.svc.EC2Credential(ctx, c.access)
			if !c.ok {
				if faultKind(err) != fault.NotFound {
					t.Fatalf("got %+v, %v; want NotFound", got, err)
				}
				return
			}
			if err != nil || got.Access != access || got.Secret != secret || got.UserID != f.alice || got.ProjectID != f.aliceP || got.TrustID != "" {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}
