package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Unified limits, as keystone/api/registered_limits.py, limits.py and
// limit/ (flat model): registered limits are per service (and region)
// defaults; limits override them per project or domain. Other services
// read them through Limit for their quotas. limit_http.go decodes and
// renders; limit_store.go holds the queries.

// checkLimitRefs checks the service, region and project or domain exist
// (400 naming the field, as Keystone).
func checkLimitRefs(ctx context.Context, q store.Querier, l *UnifiedLimit, target string) error {
	check := func(field string, err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return validationError(field, target)
		}
		return err
	}
	if _, err := getService(ctx, q, l.ServiceID); err != nil {
		return check("service_id", err)
	}
	if l.RegionID != "" {
		if _, err := getRegion(ctx, q, l.RegionID); err != nil {
			return check("region_id", err)
		}
	}
	if l.ProjectID != "" {
		if _, err := getProject(ctx, q, l.ProjectID); err != nil {
			if _, derr := getDomain(ctx, q, l.ProjectID); derr == nil {
				l.DomainID, l.ProjectID = l.ProjectID, "" // a project acting as a domain
				return nil
			}
			return check("project_id", err)
		}
	}
	if l.DomainID != "" {
		if _, err := getDomain(ctx, q, l.DomainID); err != nil {
			return check("domain_id", err)
		}
	}
	return nil
}

func limitConflict(kind string) *fault.Error {
	return fault.Conflictf("Conflict occurred attempting to store %s - Duplicate entry.", kind)
}

// CreateUnifiedLimits stores registered limits (registered) or limits,
// one for each fill, which sets a new limit's fields (its ID is set); every
// one is checked and stored in turn, in one transaction: all or none.
func (s *Service) CreateUnifiedLimits(ctx context.Context, registered bool, fills []func(*UnifiedLimit) error) ([]*UnifiedLimit, error) {
	kind := "limit"
	if registered {
		kind = "registered_limit"
	}
	var made []*UnifiedLimit
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, fill := range fills {
			l := &UnifiedLimit{ID: newID()}
			if err := fill(l); err != nil {
				return err
			}
			if err := checkLimitRefs(ctx, tx, l, kind); err != nil {
				return err
			}
			if err := s.insertUnified(ctx, tx, l, registered); err != nil {
				return err
			}
			made = append(made, l)
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, limitConflict(kind)
	}
	if err != nil {
		return nil, err
	}
	return made, nil
}

// insertUnified stores a registered limit, or a limit whose registered
// limit exists (Keystone's NoLimitReference, a 403, otherwise).
func (s *Service) insertUnified(ctx context.Context, tx *sql.Tx, l *UnifiedLimit, registered bool) error {
	if registered {
		return insertRegisteredLimit(ctx, tx, l, s.nowMicro())
	}
	n, err := countRegisteredLimits(ctx, tx, l)
	if err != nil {
		return err
	}
	if n == 0 {
		return fault.Forbiddenf("You are not authorized to perform the requested action.")
	}
	return insertLimit(ctx, tx, l, s.nowMicro())
}

// RegisteredLimits are every registered limit.
func (s *Service) RegisteredLimits(ctx context.Context) ([]*UnifiedLimit, error) {
	return listRegisteredLimits(ctx, s.db.R())
}

// registeredLimit is registered limit id, or Keystone's 404.
func (s *Service) registeredLimit(ctx context.Context, q store.Querier, id string) (*UnifiedLimit, error) {
	l, err := getRegisteredLimit(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find registered limit for %s.", id)
	}
	return l, err
}

// RegisteredLimitByID is registered limit id.
func (s *Service) RegisteredLimitByID(ctx context.Context, id string) (*UnifiedLimit, error) {
	return s.registeredLimit(ctx, s.db.R(), id)
}

func registeredLimitInUse(id string) *fault.Error {
	return fault.Forbiddenf("Unable to update or delete registered limit %s because there are project limits associated with it.", id)
}

// UpdateRegisteredLimit reads registered limit id, lets change alter it
// and saves it, in one transaction; its service, region and resource stay
// while limits refer to it.
func (s *Service) UpdateRegisteredLimit(ctx context.Context, id string, change func(*UnifiedLimit) error) (*UnifiedLimit, error) {
	var l *UnifiedLimit
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = s.registeredLimit(ctx, tx, id); err != nil {
			return err
		}
		before := *l
		if err := change(l); err != nil {
			return err
		}
		if before.ServiceID != l.ServiceID || before.RegionID != l.RegionID || before.ResourceName != l.ResourceName {
			if n, err := limitsOf(ctx, tx, &before); err != nil || n > 0 {
				if err == nil {
					err = registeredLimitInUse(l.ID)
				}
				return err
			}
		}
		if err := checkLimitRefs(ctx, tx, l, "registered_limit"); err != nil {
			return err
		}
		return updateRegisteredLimit(ctx, tx, l)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, limitConflict("registered_limit")
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// DeleteRegisteredLimit removes a registered limit no limit refers to.
func (s *Service) DeleteRegisteredLimit(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		l, err := s.registeredLimit(ctx, tx, id)
		if err != nil {
			return err
		}
		if n, err := limitsOf(ctx, tx, l); err != nil || n > 0 {
			if err == nil {
				err = registeredLimitInUse(l.ID)
			}
			return err
		}
		_, err = deleteRow(ctx, tx, "identity_registered_limits", l.ID)
		return err
	})
}

// Limits are the limits the caller sees: all for an admin, those of its
// project (or domain) for others, as Keystone.
func (s *Service) Limits(ctx context.Context, caller *policy.Principal) ([]*UnifiedLimit, error) {
	var f filter
	switch {
	case caller.IsAdmin():
	case caller.ProjectID != "":
		f.eq("project_id", caller.ProjectID)
	case caller.DomainID != "":
		f.where = append(f.where, "(domain_id = $1 OR project_id IN (SELECT id FROM identity_projects WHERE domain_id = $1))")
		f.args = append(f.args, caller.DomainID)
	default:
		f.where = append(f.where, "1 = 0")
	}
	return listLimits(ctx, s.db.R(), f)
}

// limit is limit id, or Keystone's 404.
func (s *Service) limit(ctx context.Context, q store.Querier, id string) (*UnifiedLimit, error) {
	l, err := getLimit(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find limit for %s.", id)
	}
	return l, err
}

// LimitByID is limit id, when the caller is an admin or the limit is of
// its project or domain.
func (s *Service) LimitByID(ctx context.Context, caller *policy.Principal, id string) (*UnifiedLimit, error) {
	l, err := s.limit(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	if !caller.IsAdmin() && (l.ProjectID == "" || l.ProjectID != caller.ProjectID) && (l.DomainID == "" || l.DomainID != caller.DomainID) {
		return nil, forbiddenAction("identity:get_limit")
	}
	return l, nil
}

// UpdateLimit reads limit id, lets change alter its value and description
// and saves them, in one transaction.
func (s *Service) UpdateLimit(ctx context.Context, id string, change func(*UnifiedLimit) error) (*UnifiedLimit, error) {
	var l *UnifiedLimit
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = s.limit(ctx, tx, id); err != nil {
			return err
		}
		if err := change(l); err != nil {
			return err
		}
		return updateLimitValue(ctx, tx, l)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// DeleteLimit removes limit id.
func (s *Service) DeleteLimit(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.limit(ctx, tx, id); err != nil {
			return err
		}
		_, err := deleteRow(ctx, tx, "identity_limits", id)
		return err
	})
}

// Limit is the limit of a resource of a service for a project, as other
// services' quotas read it: the project's own limit, else its domain's,
// else the registered default; ok is false when none is registered.
// serviceType names the service by catalog type ("image", "compute").
func (s *Service) Limit(ctx context.Context, serviceType, region, projectID, resource string) (limit int64, ok bool, err error) {
	q := s.db.R()
	p, err := getProject(ctx, q, projectID)
	if err != nil {
		return 0, false, err
	}
	return effectiveLimit(ctx, q, p, serviceType, region, resource)
}
