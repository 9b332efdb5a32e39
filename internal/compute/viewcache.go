package compute

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Server lists render each server's view once: the JSON of a server's
// list view is kept per view variant (microversion, admin or not, link
// bases) and reused while the server's row (updated_at, which every write
// moves), its ports and its volume attachments are unchanged. A list page
// then costs one narrow query for the page, one for its ports and one for
// its volumes; only servers that changed are read and rendered again.
// Entries are only hints: a changed server never matches a stale entry,
// whichever node changed it.

type cachedView struct {
	updated int64
	fp      string
	json    []byte
}

type viewCache struct {
	mu  sync.Mutex
	m   map[string]cachedView
	max int
}

func newViewCache(max int) *viewCache { return &viewCache{m: map[string]cachedView{}, max: max} }

func (c *viewCache) get(key string, updated int64, fp string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	if !ok || v.updated != updated || v.fp != fp {
		return nil, false
	}
	return v.json, true
}

func (c *viewCache) put(key string, v cachedView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Drop a tenth, whichever entries map order yields.
		n := c.max / 10
		for k := range c.m {
			if n <= 0 {
				break
			}
			delete(c.m, k)
			n--
		}
	}
	c.m[key] = v
}

// portsPrint is what a server's view shows of its ports and volumes, as a
// string that changes when any of it does.
func portsPrint(ports []Port, vols []AttachedVolume) string {
	var b strings.Builder
	for _, p := range ports {
		b.WriteString(p.ID)
		b.WriteByte('|')
		b.WriteString(p.MACAddress)
		b.WriteByte('|')
		b.WriteString(p.NetworkName)
		b.WriteByte('|')
		b.WriteString(p.NetworkID)
		b.WriteByte('|')
		b.WriteString(p.Status)
		for _, ip := range p.FixedIPs {
			b.WriteByte('|')
			b.WriteString(ip.IPAddress)
		}
		for _, g := range p.SecurityGroups {
			b.WriteByte('|')
			b.WriteString(g)
		}
		b.WriteByte(';')
	}
	for _, v := range vols {
		b.WriteString(v.VolumeID)
		b.WriteByte('|')
		b.WriteString(v.Device)
		b.WriteString(strconv.FormatBool(v.DeleteOnTermination))
		b.WriteByte(';')
	}
	return b.String()
}

// viewVariant keys what besides the server a detail view depends on.
func viewVariant(r *http.Request) string {
	self, book := links(r)
	return strconv.Itoa(mv(r)) + "|" + strconv.FormatBool(principal(r).IsAdmin()) + "|" + self + "|" + book + "|"
}

// detailPage renders the views of a page of servers, from the cache where
// it can.
func (s *Service) detailPage(ctx context.Context, r *http.Request, page []pageRow) ([][]byte, error) {
	ids := make([]string, 0, len(page))
	portIDs := make([]string, 0, len(page))
	for _, pr := range page {
		ids = append(ids, pr.ID)
		if pr.VMState != vmBuilding && pr.Deleted == 0 {
			portIDs = append(portIDs, pr.ID)
		}
	}
	ports, vols, err := s.listInfo(ctx, ids, portIDs)
	if err != nil {
		return nil, err
	}
	variant := viewVariant(r)
	out := make([][]byte, len(page))
	fps := make([]string, len(page))
	var missing []string
	for i, pr := range page {
		fps[i] = portsPrint(ports[pr.ID], vols[pr.ID])
		if b, ok := s.views.get(variant+pr.ID, pr.Updated, fps[i]); ok {
			out[i] = b
		} else {
			missing = append(missing, pr.ID)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := s.serversByID(ctx, missing)
	if err != nil {
		return nil, err
	}
	o := fullView(r)
	o.serverGroups = false // not in the detail list, as Nova
	for i, pr := range page {
		if out[i] != nil {
			continue
		}
		sv := rows[pr.ID]
		if sv == nil {
			continue // deleted from the table meanwhile
		}
		sv.Volumes = vols[sv.ID]
		var sp []Port
		if sv.VMState != vmBuilding && sv.DeletedAt == 0 {
			sp = ports[sv.ID]
		}
		b, err := httpapi.MarshalJSON(serverView(r, sv, sp, nil, o))
		if err != nil {
			return nil, err
		}
		out[i] = b
		s.views.put(variant+sv.ID, cachedView{updated: sv.UpdatedAt.UnixMicro(), fp: fps[i], json: b})
	}
	return out, nil
}

// serversByID reads servers (deleted ones too) by id.
func (s *Service) serversByID(ctx context.Context, ids []string) (map[string]*Server, error) {
	out := make(map[string]*Server, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), id
		}
		rows, err := s.r.QueryContext(ctx, `SELECT `+serverCols+` FROM compute_servers WHERE id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			sv, err := scanServer(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[sv.ID] = sv
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeList writes {"<key>": [views...], "<key>_links": links} from the
// views' JSON.
func writeList(w http.ResponseWriter, key string, views [][]byte, links any) error {
	n := 64
	for _, v := range views {
		n += len(v) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+512))
	buf.WriteString(`{"` + key + `":[`)
	for i, v := range views {
		if v == nil {
			continue
		}
		if i > 0 && buf.Bytes()[buf.Len()-1] != '[' {
			buf.WriteByte(',')
		}
		buf.Write(v)
	}
	buf.WriteByte(']')
	if links != nil {
		b, err := httpapi.MarshalJSON(links)
		if err != nil {
			return err
		}
		buf.WriteString(`,"` + key + `_links":`)
		buf.Write(b)
	}
	buf.WriteByte('}')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

// portCache is compute's copy of its servers' ports and volume
// attachments for list pages, as Nova's instance info_cache: entries live
// portTTL, and compute forgets a server's entry whenever it changes that
// server's ports or volumes itself. A change made through the network or
// block storage API (or on another node) shows in lists within portTTL;
// single-server reads always ask those services.
type portCache struct {
	mu sync.Mutex
	m  map[string]portEntry
}

type portEntry struct {
	ports []Port
	vols  []AttachedVolume
	at    time.Time
}

const portTTL = time.Second

func (c *portCache) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// listInfo returns the ports (of portIDs: servers built and not deleted)
// and volume attachments (of ids) of a page's servers, from the cache
// where fresh.
func (s *Service) listInfo(ctx context.Context, ids, portIDs []string) (map[string][]Port, map[string][]AttachedVolume, error) {
	ports := make(map[string][]Port, len(ids))
	vols := make(map[string][]AttachedVolume, len(ids))
	wantPorts := make(map[string]bool, len(portIDs))
	for _, id := range portIDs {
		wantPorts[id] = true
	}
	var missing, missingPorts []string
	now := time.Now()
	s.pc.mu.Lock()
	if s.pc.m == nil {
		s.pc.m = map[string]portEntry{}
	}
	for _, id := range ids {
		if e, ok := s.pc.m[id]; ok && now.Sub(e.at) < portTTL && (!wantPorts[id] || e.ports != nil) {
			ports[id], vols[id] = e.ports, e.vols
			continue
		}
		missing = append(missing, id)
		if wantPorts[id] {
			missingPorts = append(missingPorts, id)
		}
	}
	s.pc.mu.Unlock()
	if len(missing) == 0 {
		return ports, vols, nil
	}
	var got map[string][]Port
	if len(missingPorts) > 0 {
		var err error
		if got, err = s.net.PortsOfServers(ctx, missingPorts); err != nil {
			return nil, nil, err
		}
	}
	att, err := s.attached(ctx, missing...)
	if err != nil {
		return nil, nil, err
	}
	s.pc.mu.Lock()
	if len(s.pc.m) > 100000 {
		s.pc.m = map[string]portEntry{}
	}
	for _, id := range missing {
		e := portEntry{vols: att[id], at: now}
		if wantPorts[id] {
			e.ports = got[id]
			if e.ports == nil {
				e.ports = []Port{}
			}
		}
		ports[id], vols[id] = e.ports, e.vols
		s.pc.m[id] = e
	}
	s.pc.mu.Unlock()
	return ports, vols, nil
}
