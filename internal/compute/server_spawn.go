package compute

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// hostnameOf derives a server's host name from its display name by K5's
// rules (1.2.A): spaces and "_" become "-", upper case becomes lower case,
// other symbols but "." and "-" go, leading and trailing "." go, a name of
// only "-" goes; a name of 64 characters or more becomes
// "host-<fixed IP of eth0>" (dots as dashes). An empty result falls back
// to Nova's "server-<id>".
func hostnameOf(name string, ports []Port) string {
	if len([]rune(name)) >= 64 {
		for _, p := range ports {
			for _, ip := range p.FixedIPs {
				if ip.Version == 4 || !strings.Contains(ip.IPAddress, ":") {
					return "host-" + strings.ReplaceAll(ip.IPAddress, ".", "-")
				}
			}
		}
	}
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		switch {
		case c == ' ' || c == '_':
			b.WriteByte('-')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		}
	}
	h := strings.Trim(b.String(), ".")
	if strings.Trim(h, "-") == "" {
		h = ""
	}
	if len(h) > 63 {
		h = strings.Trim(h[:63], ".-")
	}
	if h == "" {
		h = "server"
	}
	return h
}

// networkFault words a network service error as Nova does on create.
func networkFault(err error, reqs []PortRequest, sgs []string) error {
	msg := ""
	if fe := fault.As(err); fe != nil {
		msg = fe.Message
	}
	pick := func(def string) string {
		if msg != "" {
			return msg
		}
		return def
	}
	first := func(f func(PortRequest) string) string {
		for _, r := range reqs {
			if v := f(r); v != "" {
				return v
			}
		}
		return ""
	}
	switch {
	case errors.Is(err, ErrNetworkNotFound):
		return fault.Invalidf("%s", pick("Network "+first(func(r PortRequest) string { return r.NetworkID })+" could not be found."))
	case errors.Is(err, ErrPortNotFound):
		return fault.Invalidf("%s", pick("Port id "+first(func(r PortRequest) string { return r.PortID })+" could not be found."))
	case errors.Is(err, ErrPortInUse):
		return fault.Conflictf("%s", pick("Port "+first(func(r PortRequest) string { return r.PortID })+" is still in use."))
	case errors.Is(err, ErrFixedIPInUse):
		return fault.Invalidf("%s", pick("Fixed IP address "+first(func(r PortRequest) string { return r.FixedIP })+" is already in use."))
	case errors.Is(err, ErrSecurityGroupNotFound):
		g := ""
		if len(sgs) > 0 {
			g = sgs[0]
		}
		return fault.Invalidf("%s", pick("Security group "+g+" not found."))
	}
	return err
}

// imageSource is where the driver reads a boot image from.
func (s *Service) imageSource(im *image.Image) hypervisor.Image {
	src := hypervisor.Image{ID: im.ID, Format: "raw"}
	if im.DiskFormat != nil {
		src.Format = *im.DiskFormat
	}
	if im.Size != nil {
		src.Size = *im.Size
	}
	if im.VirtualSize != nil {
		src.VirtualSize = *im.VirtualSize
	}
	key := im.BlobKey
	if s.blobPath != nil && key != "" {
		if p, err := s.blobPath(key); err == nil {
			src.Path = p
		}
	}
	if s.blobs != nil && key != "" {
		src.Open = func(ctx context.Context) (hypervisor.ImageReader, error) {
			r, err := s.blobs.Open(ctx, key)
			if err != nil {
				return nil, err
			}
			return blobReader{r}, nil
		}
	}
	return src
}

type blobReader struct{ blob.Reader }

// spec is what the driver needs to run sv.
func (s *Service) spec(ctx context.Context, sv *Server, im *image.Image) (hypervisor.Spec, error) {
	sp := hypervisor.Spec{ID: sv.ID, Name: sv.Name, Hostname: sv.Hostname, VCPUs: int(sv.Flavor.VCPUs),
		MemoryMB: int(sv.Flavor.MemoryMB), RootGB: int(sv.Flavor.RootGB), KeyName: deref(sv.KeyName), ProjectID: sv.ProjectID,
		AvailabilityZone: deref(sv.Zone), Metadata: sv.Metadata, ConfigDrive: sv.ConfigDrive != "", LaunchIndex: sv.LaunchIndex,
		ReservationID: sv.ReservationID, Flavor: sv.Flavor.Name}
	if im != nil {
		sp.Image = s.imageSource(im)
	}
	if sv.UserData != nil {
		sp.UserData, _ = base64.StdEncoding.DecodeString(*sv.UserData)
	}
	if sv.KeyData != nil {
		sp.KeyData = *sv.KeyData
	}
	ports, err := s.net.ServerPorts(ctx, sv.ID)
	if err != nil {
		return sp, err
	}
	seen := map[string]bool{}
	for _, p := range ports {
		for _, g := range p.SecurityGroups {
			if !seen[g] {
				seen[g] = true
				sp.SecurityGroups = append(sp.SecurityGroups, g)
			}
		}
		nic := hypervisor.NIC{PortID: p.ID, NetworkID: p.NetworkID, MAC: p.MACAddress}
		for _, ip := range p.FixedIPs {
			nic.IPs = append(nic.IPs, ip.IPAddress)
		}
		sp.NICs = append(sp.NICs, nic)
	}
	return sp, s.addSubnets(ctx, &sp, ports)
}

// serviceImage reads an image as the service (the server's owner may no
// longer see it, Nova boots what it was given).
func (s *Service) serviceImage(ctx context.Context, sv *Server, id string) (*image.Image, error) {
	return s.images.Image(ctx, ownerOf(sv), id)
}

// ownerOf is a principal acting for the server's owner.
func ownerOf(sv *Server) *policy.Principal {
	return &policy.Principal{UserID: sv.UserID, ProjectID: sv.ProjectID, Roles: []string{"member"}}
}

// spawn is the worker half of a create.
func (s *Service) spawn(ctx context.Context, id, requestID string) {
	sv, err := getServerRow(ctx, s.r, id)
	if err != nil || sv.DeletedAt != 0 || sv.VMState != vmBuilding || sv.task() == taskDeleting {
		return
	}
	start := time.Now()
	var im *image.Image
	if sv.ImageID != "" {
		im, err = s.serviceImage(ctx, sv, sv.ImageID)
	}
	var sp hypervisor.Spec
	var data []bdmVolume
	if err == nil {
		sp, err = s.spec(ctx, sv, im)
	}
	if err == nil {
		sp.RootVolume, data, err = s.buildVolumes(ctx, sv)
	}
	if err == nil {
		err = s.driver.Spawn(ctx, sp)
	}
	if err == nil {
		err = s.attachBuilt(ctx, sv, data)
		s.pc.forget(id)
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return // shutting down: reconciled at the next start
	}
	if err != nil {
		err = fault.New(fault.Internal, "Build of instance %s aborted: %s", id, faultMessage(err))
	}
	s.finishTask(ctx, id, err, func(sv *Server) {
		now := time.Now().UTC()
		sv.VMState, sv.PowerState, sv.LaunchedAt = vmActive, int(hypervisor.Running), &now
	})
	s.event(ctx, id, requestID, "compute__do_build_and_run_instance", start, err)
}

// DeleteServer deletes a server: the API half marks it deleting, the
// worker half destroys it, releases its ports and soft-deletes the record.
func (s *Service) DeleteServer(ctx context.Context, p *policy.Principal, id, requestID string) error {
	sv, err := s.startTask(ctx, p, id, check{action: "delete", lock: true}, taskDeleting, nil)
	if err != nil {
		return err
	}
	s.recordAction(ctx, nil, p, id, requestID, "delete")
	s.work.run(id, func(wctx context.Context) { s.destroy(wctx, sv.ID, requestID) })
	return nil
}

func (s *Service) destroy(ctx context.Context, id, requestID string) {
	start := time.Now()
	sv, err := getServerRow(ctx, s.r, id)
	if err != nil || sv.DeletedAt != 0 {
		return
	}
	if sv.Host != nil {
		if err := s.driver.Destroy(ctx, id); err != nil {
			s.log.Error("server not destroyed", "server", id, "err", err)
			s.finishTask(ctx, id, nil, func(sv *Server) {}) // task back to none; the delete can be retried
			return
		}
	}
	s.pc.forget(id)
	if err := s.net.UnbindPorts(context.WithoutCancel(ctx), ownerOf(sv), id); err != nil {
		s.log.Warn("ports of a deleted server not released", "server", id, "err", err)
	}
	s.releaseVolumes(ctx, sv)
	s.pc.forget(id)
	if shelved := sv.SystemMetadata["shelved_image_id"]; shelved != "" {
		s.images.DeleteImage(context.WithoutCancel(ctx), ownerOf(sv), shelved)
	}
	_, err = s.mutate(context.WithoutCancel(ctx), id, func(tx *sql.Tx, cur *Server) error {
		now := time.Now().UTC()
		cur.VMState, cur.TaskState, cur.PowerState, cur.TerminatedAt = vmDeleted, nil, int(hypervisor.NoState), &now
		cur.DeletedAt = now.UnixMicro()
		_, err := tx.ExecContext(ctx, `DELETE FROM compute_server_group_members WHERE server_id = $1`, id)
		return err
	})
	if err != nil {
		s.log.Error("deleted server not recorded", "server", id, "err", err)
	}
	s.event(ctx, id, requestID, "compute_terminate_instance", start, nil)
}

// HandleEvent records what a driver saw happen on its own (Nova's
// power-state sync): a guest that shut itself down leaves its server
// SHUTOFF; a VM that died leaves it SHUTOFF with a fault.
func (s *Service) HandleEvent(ev hypervisor.Event) {
	ctx := context.Background()
	s.work.run(ev.ServerID, func(wctx context.Context) {
		_, err := s.mutate(ctx, ev.ServerID, func(tx *sql.Tx, sv *Server) error {
			if sv.DeletedAt != 0 || sv.TaskState != nil || sv.PowerState == int(ev.State) {
				return errSkip
			}
			sv.PowerState = int(ev.State)
			switch {
			case (ev.State == hypervisor.Shutdown || ev.State == hypervisor.Crashed) && sv.VMState == vmActive:
				sv.VMState = vmStopped
			case ev.State == hypervisor.Running && sv.VMState == vmStopped:
				sv.VMState = vmActive
			}
			if ev.Fault != "" {
				sv.Fault = &Fault{Code: 500, Message: ev.Fault, Created: time.Now().UTC()}
			}
			return nil
		})
		if err != nil {
			s.log.Warn("driver event not recorded", "server", ev.ServerID, "err", err)
		}
	})
}
