package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/metadata"
)

var serverIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)

// Spawn makes the server's disk (an overlay on the image's raw copy,
// grown to the flavor's root disk), its metadata and config drive, and
// starts its QEMU. Its state is on disk before QEMU starts, so a crash of
// stratus between the two leaves a server recorded as running whose QEMU
// is gone, which the next start records as shut off.
func (d *Driver) Spawn(ctx context.Context, spec hypervisor.Spec) (err error) {
	if !serverIDRE.MatchString(spec.ID) {
		return fmt.Errorf("qemu driver: bad server id %q", spec.ID)
	}
	s := &server{id: spec.ID, d: d}
	s.mu.Lock()
	defer s.mu.Unlock()
	d.mu.Lock()
	if d.servers[spec.ID] != nil {
		d.mu.Unlock()
		return fmt.Errorf("%w: server %s exists", hypervisor.ErrInvalidState, spec.ID)
	}
	d.servers[spec.ID] = s
	d.mu.Unlock()
	dir := s.dir()
	defer func() {
		if err != nil {
			s.stop(context.WithoutCancel(ctx))
			d.meta.forget(spec.ID)
			os.RemoveAll(dir)
			d.mu.Lock()
			delete(d.servers, spec.ID)
			d.mu.Unlock()
			d.unclaim(spec.ID)
			d.bases.release(spec.Image.ID, d.baseInUse)
		}
	}()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	disk, format := d.DiskPath(spec.ID), ""
	if spec.RootVolume != "" {
		// Boot from volume: the volume's raw file is the root disk, in
		// place; nothing of it is the server's to delete.
		st, err := os.Stat(spec.RootVolume)
		if err != nil {
			return fmt.Errorf("root volume: %w", err)
		}
		disk, format, s.st.RootBytes = spec.RootVolume, "raw", st.Size()
	} else {
		d.claimImage(spec.ID, spec.Image.ID)
		if err := s.makeDisk(ctx, spec); err != nil {
			return err
		}
	}
	s.st.Machine = Machine{ID: spec.ID, VCPUs: max(spec.VCPUs, 1), MemoryMB: spec.MemoryMB, Accel: d.accel,
		Disk: disk, RootFormat: format, NICs: machineNICs(spec.NICs), Hostname: spec.Hostname}
	if err := s.writeInstance(spec, nil); err != nil {
		return err
	}
	s.st.Power = powerRunning
	if err := d.allocate(spec.ID, &s.st.Machine, len(s.st.Machine.NICs) > 0 && s.st.Machine.NICs[0].IP != ""); err != nil {
		return err
	}
	if err := s.save(); err != nil {
		return err
	}
	return s.start(ctx)
}

// makeDisk writes disk.qcow2 for spec's image; s.mu held.
func (s *server) makeDisk(ctx context.Context, spec hypervisor.Spec) error {
	base, err := s.d.bases.get(ctx, spec.Image)
	if err != nil {
		return err
	}
	st, err := os.Stat(base)
	if err != nil {
		return err
	}
	size := st.Size()
	if spec.RootGB > 0 {
		root := int64(spec.RootGB) << 30
		if size > root {
			return fmt.Errorf("image %s (%d bytes) is larger than the root disk (%d bytes)", spec.Image.ID, size, root)
		}
		size = root
	}
	if err := CreateOverlay(s.d.DiskPath(s.id), base, "raw", size); err != nil {
		return err
	}
	s.st.ImageID, s.st.Base, s.st.RootBytes = spec.Image.ID, base, size
	return nil
}

// writeInstance keeps what the guest learns about itself (with nics
// instead of spec's when given), and its config drive when asked for;
// s.mu held.
func (s *server) writeInstance(spec hypervisor.Spec, nics []metadata.NIC) error {
	in := instanceOf(spec)
	if nics != nil {
		in.NICs = nics
	}
	if err := s.setInstance(in); err != nil {
		return err
	}
	iso := filepath.Join(s.dir(), "config.iso")
	s.st.Machine.ConfigDrive = ""
	if !spec.ConfigDrive {
		os.Remove(iso)
		return nil
	}
	var buf bytes.Buffer
	if err := in.ConfigDrive(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(iso, buf.Bytes(), 0o600); err != nil {
		return err
	}
	s.st.Machine.ConfigDrive = iso
	return nil
}

func instanceOf(spec hypervisor.Spec) *metadata.Instance {
	in := &metadata.Instance{UUID: spec.ID, Name: spec.Name, Hostname: spec.Hostname, ProjectID: spec.ProjectID,
		AvailabilityZone: spec.AvailabilityZone, LaunchIndex: spec.LaunchIndex, ReservationID: spec.ReservationID,
		Flavor: spec.Flavor, ImageID: spec.Image.ID, Meta: spec.Metadata, UserData: spec.UserData,
		SecurityGroups: spec.SecurityGroups}
	if spec.KeyData != "" {
		name := spec.KeyName
		if name == "" {
			name = "key"
		}
		in.Keys = []metadata.Key{{Name: name, Type: "ssh", Data: spec.KeyData}}
	}
	for _, n := range spec.NICs {
		mn := metadata.NIC{PortID: n.PortID, NetworkID: n.NetworkID, MAC: n.MAC, IP: firstIPv4(n.IPs),
			CIDR: n.CIDR, Gateway: n.Gateway, DNS: n.DNS, MTU: n.MTU}
		if mn.IP != "" && mn.CIDR == "" {
			mn.CIDR = mn.IP + "/24"
		}
		in.NICs = append(in.NICs, mn)
	}
	return in
}

func firstIPv4(ips []string) string {
	for _, ip := range ips {
		if p := net.ParseIP(ip); p != nil && p.To4() != nil {
			return p.String()
		}
	}
	return ""
}

// machineNICs is the user-mode network of each NIC: its first IPv4
// address in its subnet (a /24 around it when the subnet is not given).
func machineNICs(nics []hypervisor.NIC) []MachineNIC {
	var out []MachineNIC
	for _, n := range nics {
		mn := MachineNIC{MAC: n.MAC, IP: firstIPv4(n.IPs), CIDR: n.CIDR, Gateway: n.Gateway}
		if mn.IP != "" && mn.CIDR == "" {
			_, sub, _ := net.ParseCIDR(mn.IP + "/24")
			mn.CIDR = sub.String()
		}
		out = append(out, mn)
	}
	return out
}

// Destroy stops QEMU (quit, then kill of its process group), stops
// serving its metadata and removes everything of the server.
func (d *Driver) Destroy(ctx context.Context, id string) error {
	s, err := d.get(id)
	if errors.Is(err, hypervisor.ErrNotFound) {
		if serverIDRE.MatchString(id) {
			os.RemoveAll(d.sdir(id))
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop(ctx)
	d.meta.forget(id)
	d.vnc.Revoke(id)
	if err := os.RemoveAll(s.dir()); err != nil {
		return err
	}
	os.Remove(d.paths(id).QMP)
	d.mu.Lock()
	delete(d.servers, id)
	d.mu.Unlock()
	d.unclaim(id)
	d.bases.release(s.st.ImageID, d.baseInUse)
	return nil
}

// change runs fn on a server in one of states (any when none given) and
// saves the state it leaves.
func (d *Driver) change(ctx context.Context, id string, states []string, fn func(s *server) error) error {
	s, err := d.get(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(states) > 0 {
		ok := false
		for _, st := range states {
			ok = ok || s.st.Power == st
		}
		if !ok {
			return fmt.Errorf("%w: server is %s", hypervisor.ErrInvalidState, s.st.Power)
		}
	}
	ferr := fn(s)
	if err := s.save(); err != nil && ferr == nil {
		ferr = err
	}
	return ferr
}
