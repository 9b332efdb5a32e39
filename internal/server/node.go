package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// nodeIDFile holds this node's name inside its data directory.
const nodeIDFile = "node-id"

// nodeID returns the name of the node that owns dataDir, creating it on
// first start. It stays the same across restarts, so that a node that
// starts knows which interrupted work was its own (image uploads it was
// receiving) when several nodes share one PostgreSQL database.
func nodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, nodeIDFile)
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if id == "" || len(id) > 64 {
			return "", fmt.Errorf("node id in %s is empty or too long", path)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var r [16]byte
	rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	tmp, err := os.CreateTemp(dataDir, ".node-id-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(id + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	// Link rather than rename: two processes starting on one new data
	// directory agree on whichever name landed first.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nodeID(dataDir)
		}
		return "", err
	}
	return id, nil
}
