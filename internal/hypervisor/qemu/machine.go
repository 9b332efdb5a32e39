package qemu

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// metadataIP is where guests find the metadata service.
var metadataIP = net.IPv4(169, 254, 169, 254).To4()

// Machine is how one server's QEMU is started: everything on its command
// line. It is kept with the server (machine.json) so that a server starts
// again as it was created.
type Machine struct {
	ID       string `json:"id"`
	VCPUs    int    `json:"vcpus"`
	MemoryMB int    `json:"memory_mb"`
	Accel    string `json:"accel"` // "kvm" or "tcg"
	// Disk is the root disk (a qcow2 overlay); ConfigDrive an ISO or "".
	Disk        string `json:"disk"`
	ConfigDrive string `json:"config_drive,omitempty"`
	// RootFormat is the format of Disk: qcow2 (the overlay, "" too) or raw
	// (a block-storage volume booted from in place).
	RootFormat string `json:"root_format,omitempty"`
	// Volumes are the block-storage volumes attached (raw files).
	Volumes []MachineVolume `json:"volumes,omitempty"`
	// NICs in guest order; the first carries the SSH forward and the
	// metadata service.
	NICs []MachineNIC `json:"nics"`
	// SSHPort is the 127.0.0.1 port forwarded to the guest's port 22
	// (0: none).
	SSHPort int `json:"ssh_port"`
	// VNCDisplay is the display of -vnc 127.0.0.1:N (port 5900+N).
	VNCDisplay int `json:"vnc_display"`
	// MetadataCmd is the command slirp runs for each guest connection to
	// 169.254.169.254:80, with the connection on its stdin and stdout.
	MetadataCmd []string `json:"metadata_cmd,omitempty"`
	Hostname    string   `json:"hostname,omitempty"`
}

// MachineVolume is one attached volume.
type MachineVolume struct {
	ID       string `json:"id"`
	Device   string `json:"device"` // /dev/vdb
	Path     string `json:"path"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// volumeIDs are the QEMU ids of a volume's block node and device, from
// its guest device name.
func volumeIDs(device string) (node, dev string) {
	d := strings.TrimPrefix(device, "/dev/")
	return "vol-" + d, "disk-" + d
}

// volumeArgs is how a volume is given to QEMU: a raw block node and a
// virtio disk whose serial is (the start of) the volume id, as Nova's
// libvirt driver sets it (/dev/disk/by-id/virtio-<id>).
func volumeArgs(v MachineVolume) (blockdev map[string]any, device map[string]any) {
	node, dev := volumeIDs(v.Device)
	blockdev = map[string]any{"driver": "raw", "node-name": node, "read-only": v.ReadOnly,
		"file": map[string]any{"driver": "file", "filename": v.Path}}
	device = map[string]any{"driver": "virtio-blk-pci", "drive": node, "id": dev, "serial": prefix20(v.ID)}
	return blockdev, device
}

func prefix20(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// MachineNIC is one user-mode network interface.
type MachineNIC struct {
	MAC     string `json:"mac"`
	IP      string `json:"ip"`      // the guest's address (slirp's DHCP hands it out)
	CIDR    string `json:"cidr"`    // its subnet
	Gateway string `json:"gateway"` // slirp's own address in the guest network
}

// Paths are the files of a running machine.
type Paths struct {
	QMP, Console, PID string
}

var volDeviceRE = regexp.MustCompile(`^/dev/[a-z]{2,4}$`)

func rootFormat(f string) string {
	if f == "raw" {
		return "raw"
	}
	return "qcow2"
}

var (
	macRE      = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$`)
	uuidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// qemuOpt quotes a value for a comma-separated QEMU option list (a comma
// is written twice).
func qemuOpt(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// Args is QEMU's command line (without the program name).
func (m *Machine) Args(p Paths) ([]string, error) {
	if !uuidRE.MatchString(m.ID) && !regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`).MatchString(m.ID) {
		return nil, fmt.Errorf("qemu: bad server id %q", m.ID)
	}
	if m.VCPUs < 1 || m.VCPUs > 255 || m.MemoryMB < 16 {
		return nil, fmt.Errorf("qemu: %d vCPUs and %d MiB of memory", m.VCPUs, m.MemoryMB)
	}
	accel := m.Accel
	if accel != "kvm" && accel != "tcg" {
		return nil, fmt.Errorf("qemu: accelerator %q", accel)
	}
	cpu := "max"
	if accel == "kvm" {
		cpu = "host"
	}
	args := []string{
		"-name", "guest=" + m.ID + ",process=stratus-vm",
		"-machine", "pc,accel=" + accel,
		"-cpu", cpu,
		"-smp", strconv.Itoa(m.VCPUs),
		"-m", strconv.Itoa(m.MemoryMB),
		"-nodefaults", "-no-user-config", "-display", "none",
		"-qmp", "unix:" + qemuOpt(p.QMP) + ",server=on,wait=off",
		"-chardev", "file,id=serial0,path=" + qemuOpt(p.Console) + ",append=on",
		"-serial", "chardev:serial0",
		"-vnc", "127.0.0.1:" + strconv.Itoa(m.VNCDisplay),
		"-vga", "std",
		"-pidfile", p.PID,
		// What cloud-init's ds-identify looks for to choose the OpenStack
		// data source, as Nova's libvirt driver sets it.
		"-smbios", "type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,family=Virtual Machine" + smbiosUUID(m.ID),
		"-drive", "file=" + qemuOpt(m.Disk) + ",format=" + rootFormat(m.RootFormat) + ",if=none,id=root,cache=writeback,discard=unmap",
		"-device", "virtio-blk-pci,drive=root,bootindex=0",
		"-boot", "strict=on",
	}
	if uuidRE.MatchString(m.ID) {
		args = append(args, "-uuid", m.ID)
	}
	for _, v := range m.Volumes {
		if !volDeviceRE.MatchString(v.Device) {
			return nil, fmt.Errorf("qemu: volume device %q", v.Device)
		}
		bd, dev := volumeArgs(v)
		ro := "off"
		if v.ReadOnly {
			ro = "on"
		}
		args = append(args, "-blockdev", fmt.Sprintf("driver=raw,node-name=%s,read-only=%s,file.driver=file,file.filename=%s", bd["node-name"], ro, qemuOpt(v.Path)),
			"-device", fmt.Sprintf("virtio-blk-pci,drive=%s,id=%s,serial=%s", dev["drive"], dev["id"], qemuOpt(dev["serial"].(string))))
	}
	if m.ConfigDrive != "" {
		args = append(args, "-drive", "file="+qemuOpt(m.ConfigDrive)+",format=raw,if=none,id=config,media=cdrom,readonly=on",
			"-device", "ide-cd,drive=config,bus=ide.1")
	}
	for i, n := range m.NICs {
		opts, err := m.netdevOpts(i, n)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		b.WriteString("user")
		for _, o := range opts {
			b.WriteString("," + o[0] + "=" + qemuOpt(o[1]))
		}
		args = append(args, "-netdev", b.String(), "-device", nicDevice(n))
	}
	return args, nil
}

func smbiosUUID(id string) string {
	if uuidRE.MatchString(id) {
		return ",uuid=" + id + ",serial=" + id
	}
	return ""
}

// nicIDs are the QEMU ids of a NIC's netdev and device, from its MAC
// (stable across hot-plugs and restarts).
func nicIDs(mac string) (netdev, device string) {
	h := strings.ReplaceAll(strings.ToLower(mac), ":", "")
	return "net-" + h, "nic-" + h
}

// nicDevice is the -device of a NIC. romfile= leaves out iPXE: the disk
// boots, and the ROM costs over a second of firmware time under TCG.
func nicDevice(n MachineNIC) string {
	nd, dev := nicIDs(n.MAC)
	return fmt.Sprintf("virtio-net-pci,netdev=%s,id=%s,mac=%s,romfile=", nd, dev, n.MAC)
}

// netdevOpts are the options of NIC i's -netdev user (also what QMP
// netdev_add takes): slirp's network spans the port's subnet and
// 169.254.169.254 (slirp forwards to the guest only addresses inside its
// network), the gateway is slirp's own address and its DHCP hands out
// the port's address first.
func (m *Machine) netdevOpts(i int, n MachineNIC) ([][2]string, error) {
	if !macRE.MatchString(n.MAC) {
		return nil, fmt.Errorf("qemu: bad MAC %q", n.MAC)
	}
	id, _ := nicIDs(n.MAC)
	opts := [][2]string{{"id", id}, {"ipv6", "off"}}
	if n.IP != "" {
		ip := net.ParseIP(n.IP).To4()
		_, subnet, err := net.ParseCIDR(n.CIDR)
		if ip == nil || err != nil || subnet.IP.To4() == nil || !subnet.Contains(ip) {
			return nil, fmt.Errorf("qemu: address %q not in subnet %q", n.IP, n.CIDR)
		}
		gw := net.ParseIP(n.Gateway).To4()
		if gw == nil || !subnet.Contains(gw) || gw.Equal(ip) {
			gw = otherHost(subnet, ip, nil, true)
		}
		dns := otherHost(subnet, ip, gw, false)
		vnet, vmask := spanning(subnet, metadataIP)
		opts = append(opts, [2]string{"net", vnet.String() + "/" + vmask.String()}, [2]string{"host", gw.String()},
			[2]string{"dhcpstart", ip.String()}, [2]string{"dns", dns.String()})
	}
	if m.Hostname != "" && hostnameRE.MatchString(m.Hostname) {
		opts = append(opts, [2]string{"hostname", m.Hostname})
	}
	if i == 0 {
		if m.SSHPort > 0 {
			opts = append(opts, [2]string{"hostfwd", fmt.Sprintf("tcp:127.0.0.1:%d-:22", m.SSHPort)})
		}
		if len(m.MetadataCmd) > 0 && n.IP != "" {
			opts = append(opts, [2]string{"guestfwd", "tcp:169.254.169.254:80-cmd:" + shellJoin(m.MetadataCmd)})
		}
	}
	return opts, nil
}

// spanning is the smallest network holding both subnet and ip.
func spanning(subnet *net.IPNet, ip net.IP) (net.IP, net.IP) {
	a := binary.BigEndian.Uint32(subnet.IP.To4())
	b := binary.BigEndian.Uint32(ip.To4())
	ones, _ := subnet.Mask.Size()
	common := min(bits.LeadingZeros32(a^b), ones)
	mask := uint32(0)
	if common > 0 {
		mask = ^uint32(0) << (32 - common)
	}
	nb, mb := make(net.IP, 4), make(net.IP, 4)
	binary.BigEndian.PutUint32(nb, a&mask)
	binary.BigEndian.PutUint32(mb, mask)
	return nb, mb
}

// otherHost picks an address of subnet that is neither a nor b: the first
// host address when first, else the last one.
func otherHost(subnet *net.IPNet, a, b net.IP, first bool) net.IP {
	base := binary.BigEndian.Uint32(subnet.IP.To4())
	ones, _ := subnet.Mask.Size()
	size := uint32(1) << (32 - ones)
	for k := uint32(1); k+1 < size; k++ {
		v := base + k
		if !first {
			v = base + size - 1 - k
		}
		ipb := make(net.IP, 4)
		binary.BigEndian.PutUint32(ipb, v)
		if !ipb.Equal(a) && (b == nil || !ipb.Equal(b)) {
			return ipb
		}
	}
	return subnet.IP.To4()
}

// shellJoin quotes args for glib's g_shell_parse_argv (slirp parses the
// guestfwd command with it).
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
