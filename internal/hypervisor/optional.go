package hypervisor

import (
	"context"
	"net/http"
)

// Optional interfaces: a driver implements those that apply to it, and
// callers find them with a type assertion, so that drivers without them
// (the fake) need nothing.

// HostInfo describes the hypervisor of a host, as os-hypervisors shows it.
type HostInfo struct {
	Type    string // hypervisor_type: "QEMU", "fake"
	Version int    // hypervisor_version as Nova encodes it (major*1000000 + minor*1000 + micro)
	// Accel is how guests run: "kvm" (hardware virtualisation) or "tcg"
	// (QEMU's emulator); "" for drivers that run none.
	Accel    string
	VCPUs    int   // host CPUs
	MemoryMB int64 // host memory
	DiskGB   int64 // space under the driver's directory
}

// Describer is a driver that can describe its host.
type Describer interface {
	HostInfo(ctx context.Context) (HostInfo, error)
}

// Access is how a server can be reached from its host.
type Access struct {
	SSH string // host:port forwarded to the guest's port 22, "" when none
	VNC string // host:port of its VNC server, "" when none
}

// Accessor is a driver that forwards ports to its guests.
type Accessor interface {
	Access(ctx context.Context, id string) (Access, error)
}

// HTTPServer is a driver that serves HTTP of its own (the QEMU driver's
// VNC websocket proxy), mounted by the server under Prefix.
type HTTPServer interface {
	HTTPHandler() (prefix string, h http.Handler)
}

// Closer is a driver that holds resources (listeners, connections) to
// release when the process stops. Closing leaves the servers running.
type Closer interface {
	Close() error
}

// VolumeDisk is a block-storage volume given to a server: a raw file.
type VolumeDisk struct {
	VolumeID string
	Device   string // the guest device, e.g. /dev/vdb
	Path     string // the volume's raw file
	ReadOnly bool
}

// Volumes is a driver that runs servers with block-storage volumes: it
// boots from Spec.RootVolume when set, and attaches and detaches volume
// files while a server exists. The compute service refuses volumes on a
// driver without it.
type Volumes interface {
	AttachVolume(ctx context.Context, id string, v VolumeDisk) error
	DetachVolume(ctx context.Context, id, device string) error
}
