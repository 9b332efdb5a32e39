package network

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// DefaultGroupName is the name of each project's default security group.
const DefaultGroupName = "default"

// SecurityGroupFields are what a caller sets on a group.
type SecurityGroupFields struct {
	ProjectID   *string // admin only, create only
	Name        *string
	Description *string
	Stateful    *bool
}

// ensureDefaultGroup returns the id of project's default group, creating
// it with Neutron's default rules on first use: all egress, and ingress
// from members of the group itself, for IPv4 and IPv6.
func ensureDefaultGroup(ctx context.Context, tx *sql.Tx, project string) (string, error) {
	id, err := defaultGroupID(ctx, tx, project)
	if err != nil || id != "" {
		return id, err
	}
	now := nowUTC()
	g := &SecurityGroup{ID: uuid.NewString(), ProjectID: project, Name: DefaultGroupName,
		Description: "Default security group", Stateful: true, Revision: 1, CreatedAt: now, UpdatedAt: now}
	if err := insertGroup(ctx, tx, g); err != nil {
		return "", err
	}
	for _, eth := range []string{"IPv4", "IPv6"} {
		for _, dir := range []string{"ingress", "egress"} {
			r := &SecurityGroupRule{ID: uuid.NewString(), ProjectID: project, SecurityGroupID: g.ID, Direction: dir,
				Ethertype: eth, Revision: 0, CreatedAt: now, UpdatedAt: now}
			if dir == "ingress" {
				r.RemoteGroupID = g.ID
			}
			if err := insertRule(ctx, tx, r); err != nil {
				return "", err
			}
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO default_security_groups (project_id, security_group_id) VALUES ($1, $2)
		ON CONFLICT (project_id) DO NOTHING`, project, g.ID)
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Another transaction made it first: drop ours, use theirs.
		if _, err := tx.ExecContext(ctx, "DELETE FROM security_groups WHERE id = $1", g.ID); err != nil {
			return "", err
		}
		return defaultGroupID(ctx, tx, project)
	}
	return g.ID, nil
}

// EnsureDefaultSecurityGroup makes p's project's default group if it does
// not exist yet and returns its id.
func (s *Service) EnsureDefaultSecurityGroup(ctx context.Context, p *policy.Principal) (string, error) {
	if p == nil || p.ProjectID == "" {
		return "", nil
	}
	if id, err := defaultGroupID(ctx, s.r, p.ProjectID); err != nil || id != "" {
		return id, err
	}
	var id string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = ensureDefaultGroup(ctx, tx, p.ProjectID)
		return err
	})
	return id, err
}

// CreateSecurityGroup creates a group with Neutron's two egress rules.
func (s *Service) CreateSecurityGroup(ctx context.Context, p *policy.Principal, f SecurityGroupFields) (*SecurityGroup, error) {
	sc := scopeOf(p)
	project, err := ownerFor(sc, p, f.ProjectID)
	if err != nil {
		return nil, err
	}
	if f.Name != nil && strings.EqualFold(*f.Name, DefaultGroupName) {
		return nil, inUse("SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
	}
	now := nowUTC()
	g := &SecurityGroup{ID: uuid.NewString(), ProjectID: project, Stateful: true, Revision: 1, CreatedAt: now, UpdatedAt: now}
	setStr(&g.Name, f.Name)
	setStr(&g.Description, f.Description)
	setBool(&g.Stateful, f.Stateful)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := ensureDefaultGroup(ctx, tx, project); err != nil {
			return err
		}
		if err := s.checkQuota(ctx, tx, project, "security_group", 1); err != nil {
			return err
		}
		if err := insertGroup(ctx, tx, g); err != nil {
			return err
		}
		for _, eth := range []string{"IPv4", "IPv6"} {
			r := SecurityGroupRule{ID: uuid.NewString(), ProjectID: project, SecurityGroupID: g.ID, Direction: "egress",
				Ethertype: eth, CreatedAt: now, UpdatedAt: now}
			if err := insertRule(ctx, tx, &r); err != nil {
				return err
			}
			g.Rules = append(g.Rules, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// SecurityGroup returns a group p may see, with its rules.
func (s *Service) SecurityGroup(ctx context.Context, p *policy.Principal, id string) (*SecurityGroup, error) {
	g, err := getGroup(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, securityGroupNotFound(id)
	}
	return g, err
}

// ListSecurityGroups returns the groups p may see, making its project's
// default group first if needed (as Neutron does on a list).
func (s *Service) ListSecurityGroups(ctx context.Context, p *policy.Principal) ([]*SecurityGroup, error) {
	if _, err := s.EnsureDefaultSecurityGroup(ctx, p); err != nil {
		return nil, err
	}
	return listGroups(ctx, s.r, scopeOf(p))
}

// UpdateSecurityGroup changes a group's name, description or statefulness.
func (s *Service) UpdateSecurityGroup(ctx context.Context, p *policy.Principal, id string, f SecurityGroupFields) (*SecurityGroup, error) {
	sc := scopeOf(p)
	var g *SecurityGroup
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = getGroup(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return securityGroupNotFound(id)
		}
		if err != nil {
			return err
		}
		if f.Name != nil && *f.Name != g.Name {
			if g.Name == DefaultGroupName {
				return inUse("SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.")
			}
			if strings.EqualFold(*f.Name, DefaultGroupName) {
				return inUse("SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
			}
		}
		if f.Stateful != nil && *f.Stateful != g.Stateful {
			if busy, err := groupInUse(ctx, tx, id); err != nil {
				return err
			} else if busy {
				return inUse("SecurityGroupInUse", "Security Group %s in use.", id)
			}
		}
		setStr(&g.Name, f.Name)
		setStr(&g.Description, f.Description)
		setBool(&g.Stateful, f.Stateful)
		g.Revision++
		g.UpdatedAt = nowUTC()
		return updateGroupRow(ctx, tx, g)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteSecurityGroup deletes a group no port uses. A project's default
// group is deleted only by an admin.
func (s *Service) DeleteSecurityGroup(ctx context.Context, p *policy.Principal, id string) error {
	sc := scopeOf(p)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, err := getGroup(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return securityGroupNotFound(id)
		}
		if err != nil {
			return err
		}
		if g.Name == DefaultGroupName && !sc.admin {
			return inUse("SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.")
		}
		if busy, err := groupInUse(ctx, tx, id); err != nil {
			return err
		} else if busy {
			return inUse("SecurityGroupInUse", "Security Group %s in use.", id)
		}
		for _, q := range []string{
			"DELETE FROM security_group_rules WHERE security_group_id = $1 OR remote_group_id = $1",
			"DELETE FROM default_security_groups WHERE security_group_id = $1",
			"DELETE FROM security_groups WHERE id = $1",
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// resolveGroups turns group names or ids into the ids of project's
// groups, with Nova's errors: a name matching several groups is 409, an
// unknown name or id 404.
func resolveGroups(ctx context.Context, q store.Querier, project string, names []string) ([]string, error) {
	groups, err := listGroups(ctx, q, scope{project: project})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, want := range names {
		id := ""
		for _, g := range groups {
			if g.ID == want {
				id = g.ID
				break
			}
		}
		if id == "" {
			for _, g := range groups {
				if g.Name == want {
					if id != "" {
						return nil, novaErr(fault.Conflict, ErrNoUniqueMatch, "Multiple security groups found matching '%s'. Use an ID to be more specific.", want)
					}
					id = g.ID
				}
			}
		}
		if id == "" {
			return nil, novaErr(fault.NotFound, ErrSecurityGroupNotFound, "Security group %s not found.", want)
		}
		if !containsStr(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
