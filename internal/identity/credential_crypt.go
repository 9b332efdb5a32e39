package identity

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Credential blobs (EC2 secrets included) are encrypted at rest, as
// Keystone encrypts them with its credential keys: AES-256-GCM with a key
// kept in a file of the data dir, the credential id as additional data
// (a blob cannot be moved to another row), and key_hash naming the key.

// CredentialKeySize is the length of a credential key in bytes.
const CredentialKeySize = 32

type credCipher struct {
	aead    cipher.AEAD
	keyHash string
}

func newCredCipher(key []byte) (*credCipher, error) {
	if len(key) != CredentialKeySize {
		return nil, fmt.Errorf("identity: credential key is %d bytes, want %d", len(key), CredentialKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &credCipher{aead: aead, keyHash: hex.EncodeToString(sum[:8])}, nil
}

func (c *credCipher) seal(id, blob string) string {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(blob)+c.aead.Overhead())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(c.aead.Seal(nonce, nonce, []byte(blob), []byte(id)))
}

// open decrypts a stored blob; keyHash "" means a row not yet sealed.
func (c *credCipher) open(id, stored, keyHash string) (string, error) {
	if keyHash == "" {
		return stored, nil
	}
	if keyHash != c.keyHash {
		return "", fmt.Errorf("identity: credential %s is encrypted with key %s, this node has key %s", id, keyHash, c.keyHash)
	}
	raw, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return "", fmt.Errorf("identity: credential %s: malformed encrypted blob", id)
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], []byte(id))
	if err != nil {
		return "", fmt.Errorf("identity: credential %s: %w", id, err)
	}
	return string(plain), nil
}

// LoadCredentialKey reads the credential key at path, creating it (0600,
// random) when it does not exist. Nodes sharing a database must share
// this file, as Keystone nodes share their credential keys.
func LoadCredentialKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, CredentialKeySize)
		rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadCredentialKey(path) // another process made it first
		}
		if err != nil {
			return nil, err
		}
		_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != CredentialKeySize {
		return nil, fmt.Errorf("identity: %s does not hold a %d-byte base64 credential key", path, CredentialKeySize)
	}
	return key, nil
}

// sealCredentials encrypts the rows written before encryption, and fails
// when rows are sealed with another key (a node started with the wrong
// key file would otherwise serve errors for every credential).
func (s *Service) sealCredentials(ctx context.Context) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := countRows(ctx, tx, "SELECT COUNT(*) FROM identity_credentials WHERE key_hash <> '' AND key_hash <> $1", s.creds.keyHash)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("identity: %d credentials are encrypted with another key than this node's credential key (key %s); "+
				"nodes sharing a database must share the credential key file", n, s.creds.keyHash)
		}
		rows, err := tx.QueryContext(ctx, "SELECT id, blob FROM identity_credentials WHERE key_hash = ''")
		if err != nil {
			return err
		}
		var plain [][2]string
		for rows.Next() {
			var id, blob string
			if err := rows.Scan(&id, &blob); err != nil {
				rows.Close()
				return err
			}
			plain = append(plain, [2]string{id, blob})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range plain {
			if _, err := tx.ExecContext(ctx, "UPDATE identity_credentials SET blob = $1, key_hash = $2 WHERE id = $3",
				s.creds.seal(p[0], p[1]), s.creds.keyHash, p[0]); err != nil {
				return err
			}
		}
		if len(plain) > 0 {
			s.log.Info("encrypted credentials stored in plaintext", "count", len(plain))
		}
		return nil
	})
}
