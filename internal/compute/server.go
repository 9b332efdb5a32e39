package compute

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Nova's vm states (nova/compute/vm_states.py).
const (
	vmActive           = "active"
	vmBuilding         = "building"
	vmPaused           = "paused"
	vmSuspended        = "suspended"
	vmStopped          = "stopped"
	vmRescued          = "rescued"
	vmResized          = "resized"
	vmSoftDeleted      = "soft-delete"
	vmDeleted          = "deleted"
	vmError            = "error"
	vmShelved          = "shelved"
	vmShelvedOffloaded = "shelved_offloaded"
)

// Nova's task states (nova/compute/task_states.py) that stratus uses.
const (
	taskScheduling        = "scheduling"
	taskNetworking        = "networking"
	taskSpawning          = "spawning"
	taskImageSnapshot     = "image_snapshot"
	taskImageBackup       = "image_backup"
	taskImagePendingUp    = "image_pending_upload"
	taskImageUploading    = "image_uploading"
	taskUpdatingPassword  = "updating_password"
	taskResizePrep        = "resize_prep"
	taskResizeFinish      = "resize_finish"
	taskResizeReverting   = "resize_reverting"
	taskResizeConfirming  = "resize_confirming"
	taskRebooting         = "rebooting"
	taskRebootingHard     = "rebooting_hard"
	taskPausing           = "pausing"
	taskUnpausing         = "unpausing"
	taskSuspending        = "suspending"
	taskResuming          = "resuming"
	taskPoweringOff       = "powering-off"
	taskPoweringOn        = "powering-on"
	taskRebuilding        = "rebuilding"
	taskRebuildSpawning   = "rebuild_spawning"
	taskDeleting          = "deleting"
	taskShelving          = "shelving"
	taskShelvingImageUp   = "shelving_image_uploading"
	taskShelvingOffload   = "shelving_offloading"
	taskUnshelving        = "unshelving"
	taskRebootPendingHard = "reboot_pending_hard"
)

// FlavorInfo is the flavor a server runs with, kept on the server as
// Nova keeps instance.flavor: deleting the flavor changes nothing.
type FlavorInfo struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	VCPUs       int64             `json:"vcpus"`
	MemoryMB    int64             `json:"ram"`
	RootGB      int64             `json:"disk"`
	EphemeralGB int64             `json:"ephemeral"`
	Swap        int64             `json:"swap"`
	ExtraSpecs  map[string]string `json:"extra_specs"`
}

func flavorInfo(f *Flavor) FlavorInfo {
	specs := f.ExtraSpecs
	if specs == nil {
		specs = map[string]string{}
	}
	return FlavorInfo{ID: f.ID, Name: f.Name, VCPUs: f.VCPUs, MemoryMB: f.MemoryMB, RootGB: f.RootGB,
		EphemeralGB: f.EphemeralGB, Swap: f.Swap, ExtraSpecs: specs}
}

// Fault is why a server went to ERROR (Nova's instance fault).
type Fault struct {
	Code    int       `json:"code"`
	Message string    `json:"message"`
	Details string    `json:"details,omitempty"`
	Created time.Time `json:"created"`
}

// Server is a Nova instance record.
type Server struct {
	ID             string
	Seq            int64
	ProjectID      string
	UserID         string
	Name           string
	Hostname       string
	Description    *string
	VMState        string
	TaskState      *string
	PowerState     int
	ImageID        string // "" when booted from a volume
	Flavor         FlavorInfo
	OldFlavor      *FlavorInfo // while a resize can be reverted
	Host           *string
	Node           *string
	Zone           *string // the availability zone it landed in (or was asked for)
	KeyName        *string
	KeyData        *string
	UserData       *string
	ConfigDrive    string
	AutoDiskConfig bool
	AccessIPv4     string
	AccessIPv6     string
	LockedBy       *string // "owner" or "admin", as Nova
	LockedReason   *string
	Progress       int
	ReservationID  string
	LaunchIndex    int
	RootDevice     *string
	Metadata       map[string]string
	SystemMetadata map[string]string
	Tags           []string
	SecurityGroups []string
	Networks       string // the requested networks (JSON), for the build
	SchedulerHints map[string]any
	Fault          *Fault
	LaunchedAt     *time.Time
	TerminatedAt   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      int64 // 0 while the server exists

	// Volumes are its attached volumes, loaded for views from block storage.
	Volumes []AttachedVolume
}

// InstanceName is Nova's instance_name_template, instance-%08x.
func (s *Server) InstanceName() string { return fmt.Sprintf("instance-%08x", s.Seq) }

// HostID is Nova's generate_hostid: sha224 of project and host, hex.
func (s *Server) HostID() string {
	if s.Host == nil || *s.Host == "" {
		return ""
	}
	sum := sha256.Sum224([]byte(s.ProjectID + *s.Host))
	return hex.EncodeToString(sum[:])
}

func (s *Server) task() string {
	if s.TaskState == nil {
		return ""
	}
	return *s.TaskState
}

// statusMap is Nova's _STATE_MAP: the status a vm state and task state show.
var statusMap = map[string]map[string]string{
	vmActive: {"": "ACTIVE", taskRebooting: "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
		taskRebootingHard: "HARD_REBOOT", taskRebootPendingHard: "HARD_REBOOT", "reboot_started_hard": "HARD_REBOOT",
		taskUpdatingPassword: "PASSWORD", taskRebuilding: "REBUILD", "rebuild_block_device_mapping": "REBUILD",
		taskRebuildSpawning: "REBUILD", "migrating": "MIGRATING", taskResizePrep: "RESIZE", "resize_migrating": "RESIZE",
		"resize_migrated": "RESIZE", taskResizeFinish: "RESIZE"},
	vmBuilding: {"": "BUILD"},
	vmStopped: {"": "SHUTOFF", taskResizePrep: "RESIZE", "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
		taskResizeFinish: "RESIZE", taskRebuilding: "REBUILD", "rebuild_block_device_mapping": "REBUILD", taskRebuildSpawning: "REBUILD"},
	vmResized:          {"": "VERIFY_RESIZE", taskResizeReverting: "REVERT_RESIZE"},
	vmPaused:           {"": "PAUSED", "migrating": "MIGRATING"},
	vmSuspended:        {"": "SUSPENDED"},
	vmRescued:          {"": "RESCUE"},
	vmError:            {"": "ERROR", taskRebuilding: "REBUILD", "rebuild_block_device_mapping": "REBUILD", taskRebuildSpawning: "REBUILD"},
	vmDeleted:          {"": "DELETED"},
	vmSoftDeleted:      {"": "SOFT_DELETED"},
	vmShelved:          {"": "SHELVED"},
	vmShelvedOffloaded: {"": "SHELVED_OFFLOADED"},
}

// Status is the Nova status of the server.
func (s *Server) Status() string {
	if s.DeletedAt != 0 {
		return "DELETED"
	}
	m, ok := statusMap[s.VMState]
	if !ok {
		return "UNKNOWN"
	}
	if st, ok := m[s.task()]; ok {
		return st
	}
	return m[""]
}

// statesOf is Nova's task_and_vm_state_from_status: the vm states and
// task states a status filter matches (def says the default task state,
// meaning any).
func statesOf(statuses []string) (vms []string, tasks []string, def bool) {
	want := map[string]bool{}
	for _, s := range statuses {
		want[stringsUpper(s)] = true
	}
	for vm, m := range statusMap {
		for task, st := range m {
			if want[st] {
				if !slices.Contains(vms, vm) {
					vms = append(vms, vm)
				}
				if task == "" {
					def = true
				} else if !slices.Contains(tasks, task) {
					tasks = append(tasks, task)
				}
			}
		}
	}
	slices.Sort(vms)
	slices.Sort(tasks)
	return vms, tasks, def
}

func stringsUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// conflict is Nova's raise_http_conflict_for_instance_invalid_state.
func conflict(action, id, attr, state string) *fault.Error {
	return fault.Conflictf("Cannot '%s' instance %s while it is in %s %s", action, id, attr, state)
}

// checkState is Nova's check_instance_state: vm_state in vms (any when
// nil), task_state in tasks ([""] means none, nil any), and launched once
// when mustLaunch; action names the call in the 409.
func (s *Server) checkState(action string, vms []string, tasks []string, mustLaunch bool) error {
	if vms != nil && !slices.Contains(vms, s.VMState) {
		return conflict(action, s.ID, "vm_state", s.VMState)
	}
	if tasks != nil && !slices.Contains(tasks, s.task()) {
		state := "None"
		if s.TaskState != nil {
			state = *s.TaskState
		}
		return conflict(action, s.ID, "task_state", state)
	}
	if mustLaunch && s.LaunchedAt == nil {
		return conflict(action, s.ID, "launched_at", "None")
	}
	return nil
}

// idle is the task state set of Nova's default check: no task running.
var idle = []string{""}

// checkLock is Nova's check_instance_lock: a locked server refuses every
// change but an admin's.
func (s *Server) checkLock(admin bool) error {
	if s.LockedBy != nil && !admin {
		return fault.Conflictf("Instance %s is locked", s.ID)
	}
	return nil
}

func serverNotFound(id string) *fault.Error {
	return fault.NotFoundf("Instance %s could not be found.", id)
}
