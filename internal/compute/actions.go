package compute

import (
	"context"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// powerAction is one of the simple actions: a state check, a task state,
// a driver call, and the vm and power state it ends in.
type powerAction struct {
	name    string   // as Nova names it in a 409 and in instance actions
	vms     []string // allowed vm states
	tasks   []string // allowed task states (idle: none)
	task    string
	event   string
	lock    bool // refused on a locked server (Nova's check_instance_lock)
	call    func(ctx context.Context, d hypervisor.Driver, id string) error
	vmAfter string
	power   hypervisor.PowerState
}

var allowReboot = []string{"", taskRebooting, "reboot_pending", "reboot_started", taskResuming, taskRebootingHard, taskUnpausing, taskPausing, taskSuspending}

var powerActions = map[string]powerAction{
	"os-start": {name: "start", vms: []string{vmStopped}, tasks: idle, task: taskPoweringOn, event: "compute_start_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.PowerOn(ctx, id) }, vmAfter: vmActive, power: hypervisor.Running},
	"os-stop": {name: "stop", vms: []string{vmActive, vmError}, tasks: idle, task: taskPoweringOff, event: "compute_stop_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.PowerOff(ctx, id, 0) }, vmAfter: vmStopped, power: hypervisor.Shutdown},
	"pause": {name: "pause", vms: []string{vmActive}, tasks: idle, task: taskPausing, event: "compute_pause_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.Pause(ctx, id) }, vmAfter: vmPaused, power: hypervisor.Paused},
	"unpause": {name: "unpause", vms: []string{vmPaused}, tasks: idle, task: taskUnpausing, event: "compute_unpause_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.Unpause(ctx, id) }, vmAfter: vmActive, power: hypervisor.Running},
	"suspend": {name: "suspend", vms: []string{vmActive}, tasks: idle, task: taskSuspending, event: "compute_suspend_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.Suspend(ctx, id) }, vmAfter: vmSuspended, power: hypervisor.Suspended},
	"resume": {name: "resume", vms: []string{vmSuspended}, tasks: idle, task: taskResuming, event: "compute_resume_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.Resume(ctx, id) }, vmAfter: vmActive, power: hypervisor.Running},
	"soft-reboot": {name: "reboot", vms: []string{vmActive}, tasks: idle, task: taskRebooting, event: "compute_reboot_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.Reboot(ctx, id, false) }, vmAfter: vmActive, power: hypervisor.Running},
	"hard-reboot": {name: "reboot", vms: []string{vmActive, vmStopped, vmPaused, vmSuspended, vmError}, tasks: allowReboot, task: taskRebootingHard,
		event: "compute_reboot_instance", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return d.Reboot(ctx, id, true) }, vmAfter: vmActive, power: hypervisor.Running},
	"changePassword": {name: "changePassword", vms: []string{vmActive}, tasks: idle, task: taskUpdatingPassword, event: "compute_set_admin_password", lock: true,
		call: func(ctx context.Context, d hypervisor.Driver, id string) error { return nil }, vmAfter: vmActive, power: hypervisor.Running},
}

// Power runs one of the power actions on a server.
func (s *Service) Power(ctx context.Context, p *policy.Principal, id, key, requestID string) error {
	a := powerActions[key]
	sv, err := s.startTask(ctx, p, id, check{action: a.name, vms: a.vms, tasks: a.tasks, mustLaunch: true, lock: a.lock}, a.task, nil)
	if err != nil {
		return err
	}
	s.recordAction(ctx, nil, p, id, requestID, a.name)
	s.runOp(sv.ID, requestID, a.event, func(ctx context.Context) error { return a.call(ctx, s.driver, sv.ID) }, func(sv *Server) {
		sv.VMState, sv.PowerState = a.vmAfter, int(a.power)
	})
	return nil
}

// runOp queues a driver operation for a server and records its outcome.
func (s *Service) runOp(id, requestID, event string, op func(ctx context.Context) error, onOK func(sv *Server)) {
	s.work.run(id, func(ctx context.Context) {
		start := time.Now()
		err := op(ctx)
		if ctx.Err() != nil && err != nil {
			return // shutting down: reconciled at the next start
		}
		s.finishTask(ctx, id, err, onOK)
		s.event(ctx, id, requestID, event, start, err)
	})
}

// Lock locks a server; reason is 2.73's locked_reason.
func (s *Service) Lock(ctx context.Context, p *policy.Principal, id string, reason *string, requestID string) error {
	_, err := s.startTask(ctx, p, id, check{action: "lock"}, "", func(sv *Server) error {
		by := "owner"
		if p.IsAdmin() && p.ProjectID != sv.ProjectID {
			by = "admin"
		}
		sv.LockedBy, sv.LockedReason = &by, reason
		return nil
	})
	if err == nil {
		s.recordAction(ctx, nil, p, id, requestID, "lock")
	}
	return err
}

// Unlock unlocks a server; a server an admin locked stays locked for
// others (Nova's unlock_override policy).
func (s *Service) Unlock(ctx context.Context, p *policy.Principal, id, requestID string) error {
	_, err := s.startTask(ctx, p, id, check{action: "unlock"}, "", func(sv *Server) error {
		if sv.LockedBy != nil && *sv.LockedBy == "admin" && !p.IsAdmin() {
			return fault.Forbiddenf("Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.")
		}
		sv.LockedBy, sv.LockedReason = nil, nil
		return nil
	})
	if err == nil {
		s.recordAction(ctx, nil, p, id, requestID, "unlock")
	}
	return err
}

// ResetState is the admin's os-resetState: the vm state becomes active or
// error, the task state none.
func (s *Service) ResetState(ctx context.Context, p *policy.Principal, id, state string) error {
	_, err := s.startTask(ctx, p, id, check{action: "resetState"}, "", func(sv *Server) error {
		sv.VMState, sv.TaskState = state, nil
		return nil
	})
	return err
}

// Restore restores a soft-deleted server; stratus deletes at once, so no
// server is ever SOFT_DELETED and restore is refused as Nova refuses it for
// any other state.
func (s *Service) Restore(ctx context.Context, p *policy.Principal, id string) error {
	sv, err := s.Server(ctx, p, id)
	if err != nil {
		return err
	}
	return conflict("restore", sv.ID, "vm_state", sv.VMState)
}

// consoleServer is a server whose console can be read: it has a host and
// is not being deleted.
func (s *Service) consoleServer(ctx context.Context, p *policy.Principal, id, action string) (*Server, error) {
	sv, err := s.Server(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if t := sv.task(); t == taskDeleting || t == "migrating" {
		return nil, conflict(action, id, "task_state", t)
	}
	if sv.Host == nil || sv.VMState == vmBuilding || sv.VMState == vmShelvedOffloaded {
		return nil, fault.Conflictf("Instance %s is not ready", id)
	}
	return sv, nil
}

// ConsoleOutput is the tail of the server's console (Nova's _tail_log:
// length lines, all when nil).
func (s *Service) ConsoleOutput(ctx context.Context, p *policy.Principal, id string, length *int) (string, error) {
	sv, err := s.consoleServer(ctx, p, id, "get_console_output")
	if err != nil {
		return "", err
	}
	out, err := s.driver.ConsoleOutput(ctx, sv.ID, 0)
	if err != nil {
		return "", fault.NotFoundf("Guest does not have a console available.").WithCause(err)
	}
	if length != nil {
		out = tailLog(out, *length)
	}
	return stripControl(out), nil
}

// tailLog is Nova's _tail_log: the last n "\n"-separated pieces joined.
func tailLog(s string, n int) string {
	if n == 0 {
		return ""
	}
	parts := splitKeep(s)
	if n > 0 && n < len(parts) {
		parts = parts[len(parts)-n:]
	} else if n < 0 && -n < len(parts) {
		parts = parts[-n:]
	}
	return joinLines(parts)
}

func splitKeep(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func joinLines(parts []string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, p...)
	}
	return string(b)
}

// stripControl removes what Nova removes from console output:
// [\x00-\x08\x0B-\x1F].
func stripControl(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x08 || (c >= 0x0B && c <= 0x1F) {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// ConsoleURL is a remote console URL of kind.
func (s *Service) ConsoleURL(ctx context.Context, p *policy.Principal, id, kind string) (string, error) {
	sv, err := s.consoleServer(ctx, p, id, "get_vnc_console")
	if err != nil {
		return "", err
	}
	u, err := s.driver.ConsoleURL(ctx, sv.ID, kind)
	if err != nil {
		return "", fault.NotFoundf("Guest does not have a console available.").WithCause(err)
	}
	return u, nil
}
