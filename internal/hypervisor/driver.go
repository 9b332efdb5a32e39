// Package hypervisor is the boundary between the compute service and the
// thing that runs virtual machines. One small interface (Driver) is all
// the compute service calls; drivers register by name (Register) and the
// server picks one by configuration, as Incus picks storage drivers.
//
// The interface is shaped so that a real QEMU driver fits without changes
// above it: every call names the server by id and is synchronous (the
// compute service runs calls in its own workers and keeps the Nova state
// machine); the driver owns all local state of a server (disk, console
// log, process, QMP socket) under its own directory; Instances tells what
// exists after a restart; SnapshotSource hands out a point-in-time copy of
// the root disk that stays readable while the guest keeps running.
//
// The fake driver ("fake", the default) runs no guest. It keeps a real
// disk file per server (a reflink or sparse copy of the image, grown to the
// flavor's root disk), writes a boot log for the console, hands out a VNC
// URL, and takes configurable time for each operation.
package hypervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// PowerState is Nova's power state (nova/compute/power_state.py), which is
// what OS-EXT-STS:power_state shows.
type PowerState int

// Nova's power states.
const (
	NoState   PowerState = 0
	Running   PowerState = 1
	Paused    PowerState = 3
	Shutdown  PowerState = 4
	Crashed   PowerState = 6
	Suspended PowerState = 7
)

// Errors drivers return; callers match them with errors.Is.
var (
	ErrNotFound     = errors.New("hypervisor: no such server")
	ErrInvalidState = errors.New("hypervisor: server is not in a state that allows this")
	ErrUnsupported  = errors.New("hypervisor: not supported by this driver")
)

// Image is where a root disk comes from. Drivers prefer Path (a local file,
// which they may reflink), else read through Open.
type Image struct {
	ID     string
	Format string // disk_format: raw, qcow2, vmdk, vhd, vhdx
	Size   int64  // bytes of the image file
	// VirtualSize is the disk size the image describes (bytes); 0 when
	// unknown (the driver then learns it while converting).
	VirtualSize int64
	// Path is a local file holding the image bytes, "" when the bytes are
	// not on a local filesystem.
	Path string
	// Open reads the image bytes from any backend.
	Open func(ctx context.Context) (ImageReader, error)
}

// ImageReader reads image bytes at offsets.
type ImageReader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// NIC is one network interface of a server.
type NIC struct {
	PortID    string
	NetworkID string
	MAC       string
	IPs       []string
	// The subnet of IPs[0]: its CIDR, gateway and DNS servers, and the
	// network's MTU (0: unknown). The QEMU driver makes the guest's
	// network from them and tells the guest (network_data.json).
	CIDR    string
	Gateway string
	DNS     []string
	MTU     int
}

// Spec is what a server is made of.
type Spec struct {
	ID       string
	Name     string
	Hostname string
	VCPUs    int
	MemoryMB int
	RootGB   int // 0: the image's virtual size
	Image    Image
	UserData []byte
	KeyData  string // the key pair's public key, "" when none
	NICs     []NIC
	// RootVolume, when set, is the file of a block-storage volume that is
	// the root disk itself (boot from volume): the driver uses it in place
	// instead of making a disk from Image. Only drivers implementing
	// Volumes accept it.
	RootVolume string

	// What the guest learns about itself from the metadata service or
	// its config drive (drivers that run no guest ignore them).
	KeyName          string // the key pair's name
	ProjectID        string
	AvailabilityZone string
	Metadata         map[string]string // the server's metadata
	ConfigDrive      bool              // attach a config drive
	LaunchIndex      int
	ReservationID    string
	Flavor           string   // flavor name (EC2's instance-type)
	SecurityGroups   []string // names
}

// Snapshot is a point-in-time copy of a server's root disk. The file stays
// as it was until Release, whatever the guest does meanwhile.
type Snapshot struct {
	Path    string
	Format  string // raw or qcow2
	Release func() error
}

// Driver runs servers. Every method is synchronous and may take as long as
// the operation takes; the compute service calls it from its workers and
// never calls two methods for the same server at once.
type Driver interface {
	// Name is the name the driver was registered under.
	Name() string
	// Spawn creates the server's disk from spec.Image and starts it.
	Spawn(ctx context.Context, spec Spec) error
	// Destroy stops the server and removes everything the driver keeps
	// for it. Destroying a server the driver does not know is no error.
	Destroy(ctx context.Context, id string) error
	PowerOn(ctx context.Context, id string) error
	// PowerOff asks the guest to shut down, waiting up to timeout, then
	// stops it hard; timeout 0 stops it hard at once.
	PowerOff(ctx context.Context, id string, timeout time.Duration) error
	Reboot(ctx context.Context, id string, hard bool) error
	Pause(ctx context.Context, id string) error
	Unpause(ctx context.Context, id string) error
	Suspend(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	// Rebuild replaces the root disk with one made from spec.Image and
	// boots it; the server keeps its id, NICs and console log.
	Rebuild(ctx context.Context, spec Spec) error
	// Resize gives the server spec's resources (the root disk only
	// grows), keeping what RevertResize needs until ConfirmResize.
	Resize(ctx context.Context, spec Spec) error
	ConfirmResize(ctx context.Context, id string) error
	RevertResize(ctx context.Context, id string) error
	// PlugNIC and UnplugNIC hot-plug an interface.
	PlugNIC(ctx context.Context, id string, nic NIC) error
	UnplugNIC(ctx context.Context, id string, portID string) error
	// State is the server's power state; ErrNotFound when unknown.
	State(ctx context.Context, id string) (PowerState, error)
	// Instances lists every server the driver has, with its power state,
	// so that a restarted compute service can reconcile its records.
	Instances(ctx context.Context) (map[string]PowerState, error)
	// ConsoleOutput is the last lines of the serial console (all when
	// lines <= 0).
	ConsoleOutput(ctx context.Context, id string, lines int) (string, error)
	// ConsoleURL is a URL of a remote console of kind ("novnc", "xvpvnc").
	ConsoleURL(ctx context.Context, id, kind string) (string, error)
	// DiskPath is the file of the root disk ("" when unknown).
	DiskPath(id string) string
	// SnapshotSource returns a point-in-time copy of the root disk.
	SnapshotSource(ctx context.Context, id string) (*Snapshot, error)
}

// Options configure a driver.
type Options struct {
	// Dir is where the driver keeps its servers' files.
	Dir string
	// Host is the name of the compute host the driver serves.
	Host string
	Log  *slog.Logger
	// Settings are driver-specific key=value settings.
	Settings map[string]string
	// PublicURL is the base URL clients reach this node at (for console
	// URLs); "" when unknown.
	PublicURL string
	// Events receives what a driver sees happen on its own: a guest that
	// powered itself off, a VM process that died. Nil drops them.
	Events func(Event)
}

// Event is a change of a server's power state that no driver call made.
// Fault says why when the server stopped unexpectedly ("" when the guest
// shut itself down).
type Event struct {
	ServerID string
	State    PowerState
	Fault    string
}

// Factory makes a driver.
type Factory func(opts Options) (Driver, error)

var (
	regMu    sync.Mutex
	registry = map[string]Factory{}
)

// Register makes a driver available under name. It panics on a duplicate
// name: that is a programming error found at start-up.
func Register(name string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("hypervisor: driver " + name + " registered twice")
	}
	registry[name] = f
}

// New makes the driver registered under name.
func New(name string, opts Options) (Driver, error) {
	regMu.Lock()
	f := registry[name]
	regMu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("hypervisor: unknown driver %q (have %v)", name, Names())
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return f(opts)
}

// Names lists the registered drivers.
func Names() []string {
	regMu.Lock()
	defer regMu.Unlock()
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
