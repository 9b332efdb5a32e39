package httpapi

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// RequestAuthenticator authenticates requests signed instead of carrying a
// token (SCP's Scp-Accesskey/Scp-Signature headers). It is asked only when
// no X-Auth-Token is sent, and only if it Claims the request.
type RequestAuthenticator interface {
	// Claims reports whether r carries this scheme's credentials.
	Claims(r *http.Request) bool
	// AuthenticateRequest verifies them; errors are *fault.Error
	// (Unauthorized) for clients.
	AuthenticateRequest(r *http.Request) (*policy.Principal, error)
}

// AddRequestAuthenticator accepts a signature scheme wherever a token is.
func (m *Mux) AddRequestAuthenticator(a RequestAuthenticator) { m.signed = append(m.signed, a) }

// authenticate returns the caller of r: by token, else by a signature
// scheme that claims r, else nil (anonymous).
func (m *Mux) authenticate(r *http.Request) (*policy.Principal, error) {
	if tok := r.Header.Get(AuthTokenHeader); tok != "" {
		if m.auth == nil {
			return nil, unauthorized()
		}
		return m.auth.Authenticate(r.Context(), tok)
	}
	for _, a := range m.signed {
		if a.Claims(r) {
			return a.AuthenticateRequest(r)
		}
	}
	return nil, nil
}
