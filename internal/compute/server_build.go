package compute

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// created is what POST /servers answers with.
type created struct {
	Servers       []*Server
	AdminPass     string
	ReservationID string
}

// randomString draws n characters from alphabet.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// generatePassword is Nova's generate_password: 12 characters without
// ones that look alike.
func generatePassword() string {
	return randomString(12, "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
}

// checkImage applies Nova's _validate_flavor_image checks to a boot image.
func checkImage(p *policy.Principal, im *image.Image, f *Flavor) error {
	if im.Status != image.StatusActive {
		return fault.Invalidf("Image %s is not active.", im.ID)
	}
	if f.MemoryMB < im.MinRAM {
		return fault.Invalidf("Flavor's memory is too small for requested image.")
	}
	dest := f.RootGB << 30
	if dest == 0 {
		if !p.IsAdmin() {
			return fault.Forbiddenf("Only volume-backed servers are allowed for flavors with zero disk.")
		}
		return nil
	}
	size := int64(0)
	if im.Size != nil {
		size = *im.Size
	}
	if im.VirtualSize != nil && *im.VirtualSize > size {
		size = *im.VirtualSize
	}
	if size > dest {
		return fault.Invalidf("Flavor's disk is too small for requested image. Flavor disk is %d bytes, image is %d bytes.", dest, size)
	}
	if im.MinDisk<<30 > dest {
		return fault.Invalidf("Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is %d bytes, minimum size is %d bytes.", dest, im.MinDisk<<30)
	}
	return nil
}

// prepare checks everything a create names: flavor, image, key pair,
// zone, group, quotas of metadata and group members.
func (s *Service) prepareCreate(ctx context.Context, p *policy.Principal, c *createRequest) (*Flavor, *image.Image, *Keypair, *ServerGroup, error) {
	f, err := s.Flavor(ctx, p, c.FlavorRef)
	if err != nil {
		return nil, nil, nil, nil, fault.Invalidf("Flavor %s could not be found.", c.FlavorRef)
	}
	var im *image.Image
	if c.bootVolume() != nil {
		// Volume-backed: the flavor's disk does not matter; the mappings'
		// volumes are checked instead (a volume goes to one server only).
		for _, m := range c.Volumes {
			if m.Source == "volume" && c.MaxCount > 1 {
				return nil, nil, nil, nil, fault.Invalidf("Cannot attach one or more volumes to multiple instances")
			}
		}
		if im, err = s.checkVolumeBDMs(ctx, p, c); err != nil {
			return nil, nil, nil, nil, err
		}
	} else {
		if im, err = s.images.Image(ctx, p, idFromHref(c.ImageRef)); err != nil {
			if fault.KindOf(err) == fault.NotFound {
				return nil, nil, nil, nil, fault.Invalidf("Can not find requested image")
			}
			return nil, nil, nil, nil, err
		}
		if err := checkImage(p, im, f); err != nil {
			return nil, nil, nil, nil, err
		}
		if _, err := s.checkVolumeBDMs(ctx, p, c); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	var kp *Keypair
	if c.KeyName != nil {
		if kp, err = s.Keypair(ctx, p.UserID, *c.KeyName, ""); err != nil {
			return nil, nil, nil, nil, fault.Invalidf("Invalid key_name provided.")
		}
	}
	if c.Zone != "" {
		zone, host, _ := strings.Cut(c.Zone, ":")
		host, _, _ = strings.Cut(host, ":")
		if host != "" {
			if !p.IsAdmin() {
				return nil, nil, nil, nil, fault.Forbiddenf("Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.")
			}
			if h := s.hostByName(host); h == nil || (zone != "" && s.hostZone(ctx, *h) != zone) {
				return nil, nil, nil, nil, fault.Invalidf("No valid host was found. Compute host %s could not be found.", host)
			}
			c.Host = host
		}
		if zone != "" && !contains(s.zones(ctx), zone) {
			return nil, nil, nil, nil, fault.Invalidf("The requested availability zone is not available")
		}
		c.Zone = zone
	}
	if c.Host != "" && s.hostByName(c.Host) == nil {
		return nil, nil, nil, nil, fault.Invalidf("Compute host %s could not be found.", c.Host)
	}
	if err := s.checkMetadataQuota(ctx, p.ProjectID, len(c.Metadata)); err != nil {
		return nil, nil, nil, nil, fault.Forbiddenf("%s", faultMessage(err))
	}
	var grp *ServerGroup
	if g, ok := c.Hints["group"]; ok {
		gid, _ := g.(string)
		if list, isList := g.([]any); isList && len(list) == 1 {
			gid, _ = list[0].(string)
		}
		if grp, err = s.ServerGroup(ctx, s.r, p, gid); err != nil {
			return nil, nil, nil, nil, fault.Invalidf("Instance group %s could not be found.", gid)
		}
		limit, err := s.userLimit(ctx, p.ProjectID, p.UserID, "server_group_members")
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if limit >= 0 && int64(len(grp.Members))+c.MaxCount > limit {
			return nil, nil, nil, nil, fault.Forbiddenf("Quota exceeded, too many servers in group")
		}
	}
	return f, im, kp, grp, nil
}

// CreateServers makes the servers a create request asks for: it records
// them (BUILD/scheduling) within quota, places each on a host, binds its
// ports, and queues the spawns. Network errors undo the whole request.
func (s *Service) CreateServers(ctx context.Context, p *policy.Principal, c *createRequest, requestID string) (*created, error) {
	f, im, kp, grp, err := s.prepareCreate(ctx, p, c)
	if err != nil {
		return nil, err
	}
	out := &created{AdminPass: c.AdminPass, ReservationID: "r-" + randomString(8, "abcdefghijklmnopqrstuvwxyz0123456789")}
	if out.AdminPass == "" {
		out.AdminPass = generatePassword()
	}
	nets, _ := json.Marshal(struct {
		Mode string        `json:"mode,omitempty"`
		Reqs []PortRequest `json:"requests,omitempty"`
	}{c.NetworksMode, c.Networks})
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		count := c.MaxCount
		if err := s.checkServerQuota(ctx, tx, p.ProjectID, p.UserID, count, f.VCPUs, f.MemoryMB); err != nil {
			if c.MinCount == c.MaxCount {
				return err
			}
			for count = c.MaxCount - 1; count >= c.MinCount; count-- {
				if s.checkServerQuota(ctx, tx, p.ProjectID, p.UserID, count, f.VCPUs, f.MemoryMB) == nil {
					break
				}
			}
			if count < c.MinCount {
				return err
			}
		}
		seq, err := nextSeq(ctx, tx, int(count))
		if err != nil {
			return err
		}
		for i := int64(0); i < count; i++ {
			sv := s.newServer(p, c, f, im, kp, now, seq+i, int(i), out.ReservationID, string(nets))
			if err := insertServer(ctx, tx, sv); err != nil {
				return err
			}
			if grp != nil {
				if _, err := tx.ExecContext(ctx, `INSERT INTO compute_server_group_members (group_id, server_id) VALUES ($1, $2)`, grp.ID, sv.ID); err != nil {
					return err
				}
			}
			s.recordAction(ctx, tx, p, sv.ID, requestID, "create")
			out.Servers = append(out.Servers, sv)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, sv := range out.Servers {
		if err := s.placeAndBind(ctx, p, sv, c, grp); err != nil {
			s.undoCreate(ctx, p, out.Servers[:i+1])
			return nil, err
		}
	}
	for _, sv := range out.Servers {
		if sv.VMState == vmBuilding {
			id := sv.ID
			s.work.run(id, func(wctx context.Context) { s.spawn(wctx, id, requestID) })
		}
	}
	return out, nil
}

func (s *Service) newServer(p *policy.Principal, c *createRequest, f *Flavor, im *image.Image, kp *Keypair, now time.Time,
	seq int64, index int, resv, nets string) *Server {
	sv := &Server{ID: uuid.NewString(), Seq: seq, ProjectID: p.ProjectID, UserID: p.UserID, Name: c.Name,
		Description: c.Description, VMState: vmBuilding, TaskState: strp(taskScheduling), Flavor: flavorInfo(f),
		UserData: c.UserData, AutoDiskConfig: c.DiskConfig == "AUTO", AccessIPv4: c.AccessIPv4, AccessIPv6: c.AccessIPv6,
		ReservationID: resv, LaunchIndex: index, RootDevice: strp("/dev/vda"), Metadata: c.Metadata,
		SystemMetadata: map[string]string{}, Tags: c.Tags, SecurityGroups: c.SecurityGroups, Networks: nets,
		SchedulerHints: c.Hints, CreatedAt: now, UpdatedAt: now}
	if c.MaxCount > 1 {
		sv.Name = c.Name + "-" + strconv.Itoa(index+1)
	}
	if !atLeastDesc(c) {
		sv.Description = nil
	}
	if sv.Metadata == nil {
		sv.Metadata = map[string]string{}
	}
	if sv.Tags == nil {
		sv.Tags = []string{}
	}
	if sv.SecurityGroups == nil {
		sv.SecurityGroups = []string{}
	}
	if sv.SchedulerHints == nil {
		sv.SchedulerHints = map[string]any{}
	}
	if c.ConfigDrive {
		sv.ConfigDrive = "True"
	}
	if c.Zone != "" {
		sv.Zone = strp(c.Zone)
	}
	if kp != nil {
		sv.KeyName, sv.KeyData = strp(kp.Name), strp(kp.PublicKey)
	}
	if im != nil {
		sv.ImageID = im.ID
		imageSystemMetadata(sv, im, f)
	}
	s.saveVolumeBDMs(sv, c)
	sv.Hostname = hostnameOf(sv.Name, nil)
	return sv
}

func atLeastDesc(c *createRequest) bool { return c.Description != nil }

// placeAndBind schedules sv and binds its ports. A server no host can
// take goes to ERROR (Nova's NoValidHost, after the 202); network errors
// are returned for the whole request.
func (s *Service) placeAndBind(ctx context.Context, p *policy.Principal, sv *Server, c *createRequest, grp *ServerGroup) error {
	pl := placement{serverID: sv.ID, project: sv.ProjectID, flavor: sv.Flavor, zone: c.Zone, host: c.Host, group: grp,
		dedicated: dedicatedHint(jsonText(c.Hints)), diffHost: hintIDs(c.Hints["different_host"]), sameHost: hintIDs(c.Hints["same_host"])}
	s.schedMu.Lock()
	h, err := s.pick(ctx, s.r, pl)
	if err == nil {
		_, err = s.mutate(ctx, sv.ID, func(tx *sql.Tx, cur *Server) error {
			cur.Host, cur.Node, cur.Zone, cur.TaskState = strp(h.Name), strp(h.Name), strp(h.Zone), strp(taskNetworking)
			*sv = *cur
			return nil
		})
	}
	s.schedMu.Unlock()
	if fe := fault.As(err); fe != nil && strings.HasPrefix(fe.Message, "No valid host was found.") {
		return s.buildFailed(ctx, sv, 500, fe.Message)
	}
	if err != nil {
		return err
	}
	var reqs []PortRequest
	if c.NetworksMode != "none" {
		reqs = c.Networks
	}
	var ports []Port
	if c.NetworksMode != "none" {
		ports, err = s.net.BindPorts(ctx, p, sv.ID, h.Name, reqs, c.SecurityGroups)
		s.pc.forget(sv.ID)
	}
	if errors.Is(err, ErrNoMoreIPs) {
		return s.buildFailed(ctx, sv, 500, "Build of instance "+sv.ID+" aborted: Failed to allocate the network(s), not rescheduling.")
	}
	if err != nil {
		return networkFault(err, reqs, c.SecurityGroups)
	}
	_, err = s.mutate(ctx, sv.ID, func(tx *sql.Tx, cur *Server) error {
		cur.TaskState = strp(taskSpawning)
		cur.Hostname = hostnameOf(cur.Name, ports)
		*sv = *cur
		return nil
	})
	return err
}

// buildFailed puts a server that cannot be built in ERROR with a fault.
func (s *Service) buildFailed(ctx context.Context, sv *Server, code int, msg string) error {
	_, err := s.mutate(ctx, sv.ID, func(tx *sql.Tx, cur *Server) error {
		cur.VMState, cur.TaskState = vmError, nil
		cur.Fault = &Fault{Code: code, Message: msg, Created: time.Now().UTC()}
		*sv = *cur
		return nil
	})
	return err
}

// undoCreate removes servers of a create that failed after they were
// recorded.
func (s *Service) undoCreate(ctx context.Context, p *policy.Principal, svs []*Server) {
	ctx = context.WithoutCancel(ctx)
	for _, sv := range svs {
		s.pc.forget(sv.ID)
		if err := s.net.UnbindPorts(ctx, p, sv.ID); err != nil {
			s.log.Warn("ports of an undone server not released", "server", sv.ID, "err", err)
		}
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return deleteServerRow(ctx, tx, sv.ID) }); err != nil {
			s.log.Error("undone server not removed", "server", sv.ID, "err", err)
		}
	}
}

func hintIDs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// dedicatedHint reads K5's "fcx.dedicated": "true" from scheduler hints
// (JSON).
func dedicatedHint(hints string) bool {
	var h map[string]any
	if json.Unmarshal([]byte(hints), &h) != nil {
		return false
	}
	v, ok := h["fcx.dedicated"]
	if !ok {
		return false
	}
	b, err := boolValue("fcx.dedicated", v)
	return err == nil && b
}

// imageSystemMetadata records the boot image in the server's system
// metadata as Nova does (image_<property>, image_min_disk at least the
// flavor's disk, image_base_image_ref), for snapshots to inherit.
func imageSystemMetadata(sv *Server, im *image.Image, f *Flavor) {
	for k := range sv.SystemMetadata {
		if strings.HasPrefix(k, "image_") {
			delete(sv.SystemMetadata, k)
		}
	}
	for k, v := range im.Properties {
		sv.SystemMetadata["image_"+k] = v
	}
	sv.SystemMetadata["image_min_ram"] = strconv.FormatInt(im.MinRAM, 10)
	sv.SystemMetadata["image_min_disk"] = strconv.FormatInt(max(im.MinDisk, f.RootGB), 10)
	if im.DiskFormat != nil {
		sv.SystemMetadata["image_disk_format"] = *im.DiskFormat
	}
	if im.ContainerFormat != nil {
		sv.SystemMetadata["image_container_format"] = *im.ContainerFormat
	}
	sv.SystemMetadata["image_base_image_ref"] = im.ID
}
