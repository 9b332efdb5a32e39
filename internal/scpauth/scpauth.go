// Package scpauth verifies Samsung SDS Cloud's signed requests, accepted
// wherever a token is (httpapi.RequestAuthenticator):
//
//	Scp-Accesskey   an EC2 access key kept by identity (openstack ec2 credentials create)
//	Scp-Timestamp   milliseconds since the epoch, within ±5 minutes of now
//	Scp-ClientType  e.g. "Openapi"
//	Scp-Signature   Base64(HMAC-SHA256(secret, METHOD + encodeURI(URL) + Scp-Timestamp + Scp-Accesskey + Scp-ClientType))
//
// URL is the full request URL as the client sent it (scheme, host, path
// and query). Signatures are compared in constant time; a signature seen
// before within the window is a replay, refused on every node sharing the
// database. The request runs as the credential's user on the
// credential's project with the user's current roles.
package scpauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Header names.
const (
	HeaderAccessKey  = "Scp-Accesskey"
	HeaderSignature  = "Scp-Signature"
	HeaderTimestamp  = "Scp-Timestamp"
	HeaderClientType = "Scp-ClientType"
)

// Window is how far Scp-Timestamp may be from now, either way.
const Window = 5 * time.Minute

// Credential is an access key's secret and owner.
type Credential struct {
	Secret    string
	UserID    string
	ProjectID string
}

// Credentials finds access keys and the principals they act as.
type Credentials interface {
	// Credential returns the credential of access (an error when unknown).
	Credential(ctx context.Context, access string) (*Credential, error)
	PrincipalFor(ctx context.Context, userID, projectID string) (*policy.Principal, error)
}

// Verifier checks SCP signatures.
type Verifier struct {
	db    *store.DB
	creds Credentials
	now   func() time.Time

	mu        sync.Mutex
	lastSweep time.Time
}

// New returns a verifier; now may be nil (time.Now).
func New(db *store.DB, creds Credentials, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{db: db, creds: creds, now: now}
}

// Claims reports whether r carries SCP signature headers.
func (v *Verifier) Claims(r *http.Request) bool {
	return r.Header.Get(HeaderAccessKey) != "" || r.Header.Get(HeaderSignature) != ""
}

func denied(format string, cause error) *fault.Error {
	return fault.Unauthorizedf("%s", format).WithCause(cause)
}

// AuthenticateRequest implements httpapi.RequestAuthenticator.
func (v *Verifier) AuthenticateRequest(r *http.Request) (*policy.Principal, error) {
	access, sig := r.Header.Get(HeaderAccessKey), r.Header.Get(HeaderSignature)
	ts, ct := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderClientType)
	if access == "" || sig == "" || ts == "" || ct == "" {
		return nil, denied("Scp-Accesskey, Scp-Signature, Scp-Timestamp and Scp-ClientType are all required.", nil)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, denied("Scp-Timestamp must be milliseconds since the epoch.", err)
	}
	at := time.UnixMilli(ms)
	if d := v.now().Sub(at); d > Window || d < -Window {
		return nil, denied("Scp-Timestamp is more than 5 minutes from the server's time.", nil)
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return nil, denied("The request signature is invalid.", err)
	}
	ctx := r.Context()
	cred, err := v.creds.Credential(ctx, access)
	if err != nil {
		if fault.KindOf(err) == fault.Internal {
			return nil, err
		}
		return nil, denied("The request signature is invalid.", err)
	}
	if !Verify(cred.Secret, r.Method, RequestURLs(r), ts, access, ct, got) {
		return nil, denied("The request signature is invalid.", errors.New("signature mismatch"))
	}
	if err := v.remember(ctx, access, sig, at.Add(Window)); err != nil {
		return nil, err
	}
	p, err := v.creds.PrincipalFor(ctx, cred.UserID, cred.ProjectID)
	if err != nil {
		return nil, denied("The credential's user cannot act on its project.", err)
	}
	return p, nil
}

// Sign is the signature of a request (clients and tests).
func Sign(secret, method, url, ts, access, clientType string) string {
	return base64.StdEncoding.EncodeToString(mac(secret, method, EncodeURI(url), ts, access, clientType))
}

func mac(secret, method, url, ts, access, clientType string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(method + url + ts + access + clientType))
	return h.Sum(nil)
}

// Verify reports, in constant time per candidate, whether sig signs the
// request under one of its URL spellings.
func Verify(secret, method string, urls []string, ts, access, clientType string, sig []byte) bool {
	ok := false
	for _, u := range urls {
		ok = hmac.Equal(mac(secret, method, u, ts, access, clientType), sig) || ok
	}
	return ok
}

// RequestURLs are the spellings of r's URL a client may have signed: the
// URL as it came on the wire (what encodeURI of the client's URL gives
// when the client's URL needed no escaping, or was escaped already), and
// encodeURI of that (a client that escaped before signing).
func RequestURLs(r *http.Request) []string {
	wire := httpapi.BaseURL(r) + r.RequestURI
	if strings.HasPrefix(r.RequestURI, "http://") || strings.HasPrefix(r.RequestURI, "https://") {
		wire = r.RequestURI // an absolute-form request line
	}
	if enc := EncodeURI(wire); enc != wire {
		return []string{wire, enc}
	}
	return []string{wire}
}

// EncodeURI escapes s as JavaScript's encodeURI does: everything but
// letters, digits and -_.!~*'();,/?:@&=+$# becomes %XX of its UTF-8 bytes.
func EncodeURI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'();,/?:@&=+$#", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// remember records a signature until it expires; one seen already is a
// replay.
func (v *Verifier) remember(ctx context.Context, access, sig string, expires time.Time) error {
	sum := sha256.Sum256([]byte(access + "\x00" + sig))
	key := hex.EncodeToString(sum[:])
	now := v.now()
	err := v.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO scp_signatures (signature, expires_at) VALUES ($1, $2)", key, expires.UnixMicro())
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return denied("The request signature was already used.", err)
	}
	if err != nil {
		return err
	}
	v.mu.Lock()
	sweep := now.Sub(v.lastSweep) > time.Minute
	if sweep {
		v.lastSweep = now
	}
	v.mu.Unlock()
	if sweep {
		v.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM scp_signatures WHERE expires_at < $1", now.UnixMicro())
			return err
		})
	}
	return nil
}
