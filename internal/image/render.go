package image

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// renderCache keeps each image's Glance JSON keyed by id and updated_at.
// Every change to an image moves updated_at, so an entry whose stamp
// matches the row is current; a list page then reads two columns per
// image instead of decoding and re-encoding twenty-one.
type renderCache struct {
	mu sync.RWMutex
	m  map[string]rendered
}

type rendered struct {
	updated int64
	json    []byte
}

const maxRendered = 100000

func (c *renderCache) get(id string, updated int64) []byte {
	c.mu.RLock()
	r, ok := c.m[id]
	c.mu.RUnlock()
	if ok && r.updated == updated {
		return r.json
	}
	return nil
}

func (c *renderCache) put(id string, updated int64, b []byte) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxRendered {
		c.m = map[string]rendered{}
	}
	c.m[id] = rendered{updated, b}
	c.mu.Unlock()
}

// listRendered is ListImages returning each image's JSON.
func (s *Service) listRendered(ctx context.Context, p *policy.Principal, o ListOptions) ([][]byte, string, bool, error) {
	q, order, err := s.buildList(ctx, p, o)
	if err != nil {
		return nil, "", false, err
	}
	rows, err := s.r.QueryContext(ctx, q.sql("id, updated_at", order, o.Limit+1), q.args...)
	if err != nil {
		return nil, "", false, err
	}
	type entry struct {
		id      string
		updated int64
	}
	var page []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.updated); err != nil {
			rows.Close()
			return nil, "", false, err
		}
		page = append(page, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", false, err
	}
	more := len(page) > o.Limit
	if more {
		page = page[:o.Limit]
	}
	out := make([][]byte, len(page))
	var missing []string
	for i, e := range page {
		if out[i] = s.rendered.get(e.id, e.updated); out[i] == nil {
			missing = append(missing, e.id)
		}
	}
	if len(missing) > 0 {
		fresh, err := s.renderIDs(ctx, missing)
		if err != nil {
			return nil, "", false, err
		}
		for i, e := range page {
			if out[i] == nil {
				out[i] = fresh[e.id] // nil when deleted meanwhile
			}
		}
	}
	last := ""
	if len(page) > 0 {
		last = page[len(page)-1].id
	}
	kept := out[:0]
	for _, b := range out {
		if b != nil {
			kept = append(kept, b)
		}
	}
	return kept, last, more, nil
}

// renderIDs loads and renders the given images, caching the result.
func (s *Service) renderIDs(ctx context.Context, ids []string) (map[string][]byte, error) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	imgs, err := queryImages(ctx, s.r, "SELECT "+imageCols+" FROM images WHERE id IN ("+strings.Join(ph, ",")+")", args)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(imgs))
	for _, im := range imgs {
		var buf bytes.Buffer
		if err := appendImage(&buf, im); err != nil {
			return nil, err
		}
		out[im.ID] = buf.Bytes()
		s.rendered.put(im.ID, im.UpdatedAt.UnixMicro(), buf.Bytes())
	}
	return out, nil
}
