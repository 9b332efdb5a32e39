package identity

import "context"

// ProjectDomainID returns the id of the domain project id belongs to. The
// object store asks it so that ACL entries naming a project and user by
// name match only within the default domain, as Swift's keystoneauth.
func (s *Service) ProjectDomainID(ctx context.Context, id string) (string, error) {
	p, err := getProject(ctx, s.db.R(), id)
	if err != nil {
		return "", err
	}
	return p.DomainID, nil
}
