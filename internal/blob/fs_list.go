package blob

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
)

// Stage implements Store: the filesystem writer already writes at any
// offset into its temp file, so a staged write is a plain one.
func (s *FS) Stage(ctx context.Context, key string) (Staged, error) {
	w, err := s.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return w.(*fsWriter), nil
}

// Stage implements Store with Group's group-committed directory fsyncs.
func (g *Group) Stage(ctx context.Context, key string) (Staged, error) {
	w, err := g.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return w.(*fsWriter), nil
}

// List implements Store by walking the directory that holds prefix's
// keys; temp files are never listed.
func (s *FS) List(ctx context.Context, prefix string, fn func(Info) error) error {
	dir := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i]
	}
	start := s.root
	if dir != "" {
		p, err := s.path(dir)
		if err != nil {
			return err
		}
		start = p
	}
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, rerr := filepath.Rel(s.root, path)
		if rerr != nil {
			return rerr
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if path == s.tmp || (key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/")) {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(key, prefix) || !ValidKey(key) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		return fn(Info{Key: key, Size: info.Size(), ModTime: info.ModTime()})
	})
	return err
}
