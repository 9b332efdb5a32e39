package compute

import (
	"context"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Keypair is a user's SSH public key (or x509 certificate).
type Keypair struct {
	UserID      string
	Name        string
	ID          int64
	Type        string // ssh or x509
	PublicKey   string
	Fingerprint string
	Zone        string // K5 availability_zone, "" when none was named
	CreatedAt   time.Time
}

func keypairNotFound(name, user string) *fault.Error {
	return fault.NotFoundf("Keypair %s not found for user %s", name, user)
}

func invalidKeypair(reason string) *fault.Error {
	return fault.Invalidf("Keypair data is invalid: %s", reason)
}

// colonHex writes a digest as Nova does: "1e:2c:9b:…".
func colonHex(sum []byte) string {
	h := hex.EncodeToString(sum)
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// sshFingerprint is Nova's generate_fingerprint: the key must parse, and
// the fingerprint is the MD5 of its base64 blob.
func sshFingerprint(pub string) (string, error) {
	if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pub)); err != nil {
		return "", invalidKeypair("failed to generate fingerprint")
	}
	f := strings.Fields(pub)
	if len(f) < 2 {
		return "", invalidKeypair("failed to generate fingerprint")
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return "", invalidKeypair("failed to generate fingerprint")
	}
	sum := md5.Sum(blob)
	return colonHex(sum[:]), nil
}

// x509Fingerprint is Nova's generate_x509_fingerprint: SHA-1 of the
// certificate.
func x509Fingerprint(pemText string) (string, error) {
	blk, _ := pem.Decode([]byte(pemText))
	if blk == nil {
		return "", invalidKeypair("failed to generate X509 fingerprint. Error message: Unable to load certificate")
	}
	if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
		return "", invalidKeypair("failed to generate X509 fingerprint. Error message: " + err.Error())
	}
	sum := sha1.Sum(blk.Bytes)
	return colonHex(sum[:]), nil
}

// generateKey makes a key pair: RSA 2048 as Nova (PEM "RSA PRIVATE KEY",
// public key "ssh-rsa … Generated-by-Nova"), or ed25519 by configuration
// (OpenSSH private key).
func generateKey(alg string) (private, public string, err error) {
	var signer ssh.Signer
	switch alg {
	case "ed25519":
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", "", err
		}
		blk, err := ssh.MarshalPrivateKey(priv, "Generated-by-Nova")
		if err != nil {
			return "", "", err
		}
		private = string(pem.EncodeToMemory(blk))
		sp, err := ssh.NewPublicKey(pub)
		if err != nil {
			return "", "", err
		}
		return private, sp.Type() + " " + base64.StdEncoding.EncodeToString(sp.Marshal()) + " Generated-by-Nova", nil
	default:
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", "", err
		}
		private = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
		if signer, err = ssh.NewSignerFromKey(key); err != nil {
			return "", "", err
		}
	}
	pub := signer.PublicKey()
	return private, pub.Type() + " " + base64.StdEncoding.EncodeToString(pub.Marshal()) + " Generated-by-Nova", nil
}

// CreateKeypair imports publicKey, or generates a key pair when it is nil
// (then the private key is returned, once). The caller checked that the
// principal may act for userID.
func (s *Service) CreateKeypair(ctx context.Context, userID, name, typ string, publicKey *string, zone string) (*Keypair, string, error) {
	kp := &Keypair{UserID: userID, Name: name, Type: typ, Zone: zone, CreatedAt: time.Now().UTC()}
	var private string
	var err error
	switch {
	case publicKey != nil:
		kp.PublicKey = *publicKey
	case typ == "x509":
		if private, kp.PublicKey, err = generateX509(userID); err != nil {
			return nil, "", err
		}
	default:
		if private, kp.PublicKey, err = generateKey(s.keyAlg); err != nil {
			return nil, "", err
		}
	}
	if typ == "x509" {
		kp.Fingerprint, err = x509Fingerprint(kp.PublicKey)
	} else {
		kp.Fingerprint, err = sshFingerprint(kp.PublicKey)
	}
	if err != nil {
		return nil, "", err
	}
	limit, err := s.userLimit(ctx, "", userID, "key_pairs")
	if err != nil {
		return nil, "", err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_keypairs WHERE user_id = $1`, userID).Scan(&n); err != nil {
			return err
		}
		if limit >= 0 && n+1 > limit {
			return fault.Forbiddenf("Quota exceeded, too many key pairs.")
		}
		kp.ID = time.Now().UnixMicro()
		_, err := tx.ExecContext(ctx, `INSERT INTO compute_keypairs (user_id, name, id, type, public_key, fingerprint, availability_zone, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, userID, name, kp.ID, typ, kp.PublicKey, kp.Fingerprint, zone, kp.CreatedAt.UnixMicro())
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, "", fault.Conflictf("Key pair '%s' already exists.", name)
	}
	if err != nil {
		return nil, "", err
	}
	return kp, private, nil
}

const keypairCols = `user_id, name, id, type, public_key, fingerprint, availability_zone, created_at`

func scanKeypair(sc interface{ Scan(...any) error }) (*Keypair, error) {
	kp := &Keypair{}
	var created int64
	if err := sc.Scan(&kp.UserID, &kp.Name, &kp.ID, &kp.Type, &kp.PublicKey, &kp.Fingerprint, &kp.Zone, &created); err != nil {
		return nil, err
	}
	kp.CreatedAt = store.Time(created)
	return kp, nil
}

// Keypair returns one of userID's key pairs; zone, when given, must be
// the key pair's (K5 key pairs live in an availability zone).
func (s *Service) Keypair(ctx context.Context, userID, name, zone string) (*Keypair, error) {
	kp, err := scanKeypair(s.r.QueryRowContext(ctx, `SELECT `+keypairCols+` FROM compute_keypairs WHERE user_id = $1 AND name = $2`, userID, name))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && zone != "" && kp.Zone != "" && kp.Zone != zone) {
		return nil, keypairNotFound(name, userID)
	}
	return kp, err
}

// ListKeypairs lists userID's key pairs by name, after marker.
func (s *Service) ListKeypairs(ctx context.Context, userID string, limit int, marker string) ([]*Keypair, error) {
	if marker != "" {
		if _, err := s.Keypair(ctx, userID, marker, ""); err != nil {
			return nil, fault.Invalidf("Marker %s could not be found.", marker)
		}
	}
	if limit <= 0 {
		limit = maxLimit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+keypairCols+` FROM compute_keypairs WHERE user_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
		userID, marker, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Keypair
	for rows.Next() {
		kp, err := scanKeypair(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, kp)
	}
	return out, rows.Err()
}

// DeleteKeypair removes one of userID's key pairs.
func (s *Service) DeleteKeypair(ctx context.Context, userID, name, zone string) error {
	if _, err := s.Keypair(ctx, userID, name, zone); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM compute_keypairs WHERE user_id = $1 AND name = $2`, userID, name)
		return err
	})
}

// generateX509 makes an x509 key pair as Nova's generate_winrm_x509_cert:
// a self-signed client certificate for CN=<user> valid ten years (PEM, the
// public part) and its RSA 2048 key, base64 encoded (Nova wraps the key in
// PKCS#12; here it is the PKCS#8 DER).
func generateX509(user string) (private, cert string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return "", "", err
	}
	now := time.Now().UTC()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: user}, NotBefore: now,
		NotAfter: now.AddDate(10, 0, 0), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(pk), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}
