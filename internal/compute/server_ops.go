package compute

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// visibleServer loads a live server p may see: its project's, or any
// for admin. Others, and deleted ones, are 404.
func (s *Service) visibleServer(ctx context.Context, q store.Querier, p *policy.Principal, id string) (*Server, error) {
	sv, err := getServerRow(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (sv.DeletedAt != 0 || (sv.ProjectID != p.ProjectID && !p.IsAdmin()))) {
		return nil, serverNotFound(id)
	}
	return sv, err
}

// Server returns a server p may see.
func (s *Service) Server(ctx context.Context, p *policy.Principal, id string) (*Server, error) {
	return s.visibleServer(ctx, s.r, p, id)
}

// mutate applies fn to the server's current record and stores it, in one
// transaction, retrying when another writer got there first. fn may
// refuse with an error (nothing is written); returning errSkip writes
// nothing and is no error.
func (s *Service) mutate(ctx context.Context, id string, fn func(tx *sql.Tx, sv *Server) error) (*Server, error) {
	for attempt := 0; ; attempt++ {
		var out *Server
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			sv, err := getServerRow(ctx, tx, id)
			if err != nil {
				return err
			}
			prev := sv.UpdatedAt
			if err := fn(tx, sv); err != nil {
				return err
			}
			out = sv
			return writeServer(ctx, tx, sv, prev)
		})
		switch {
		case errors.Is(err, errRaced) && attempt < 20:
			continue
		case errors.Is(err, errSkip):
			return out, nil
		case errors.Is(err, store.ErrNotFound):
			return nil, serverNotFound(id)
		}
		return out, err
	}
}

var errSkip = errors.New("nothing to change")

func strp(s string) *string { return &s }

// check is a Nova state check: check_instance_lock when lock, then
// check_instance_state (vm states, task states, launched once).
type check struct {
	action     string
	vms, tasks []string
	mustLaunch bool
	lock       bool
}

// startTask is the API half of an operation: in one write it checks the
// server p may change and sets the task state (none: task ""); also may
// change more or refuse. The worker does the rest.
func (s *Service) startTask(ctx context.Context, p *policy.Principal, id string, c check, task string, also func(sv *Server) error) (*Server, error) {
	if _, err := s.Server(ctx, p, id); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *sql.Tx, sv *Server) error {
		if sv.DeletedAt != 0 {
			return serverNotFound(id)
		}
		if c.lock {
			if err := sv.checkLock(p.IsAdmin()); err != nil {
				return err
			}
		}
		if err := sv.checkState(c.action, c.vms, c.tasks, c.mustLaunch); err != nil {
			return err
		}
		if task != "" {
			sv.TaskState = strp(task)
		}
		if also != nil {
			return also(sv)
		}
		return nil
	})
}

// finishTask is the worker half: it stores the outcome of the driver
// call unless the server was deleted (or is being deleted) meanwhile.
func (s *Service) finishTask(ctx context.Context, id string, opErr error, onOK func(sv *Server)) {
	_, err := s.mutate(context.WithoutCancel(ctx), id, func(tx *sql.Tx, sv *Server) error {
		if sv.DeletedAt != 0 || sv.task() == taskDeleting {
			return errSkip
		}
		sv.TaskState = nil
		if opErr != nil {
			sv.VMState = vmError
			sv.Fault = &Fault{Code: 500, Message: faultMessage(opErr), Created: time.Now().UTC()}
			if st, err := s.driver.State(ctx, id); err == nil {
				sv.PowerState = int(st)
			}
			return nil
		}
		onOK(sv)
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("server state not saved", "server", id, "err", err)
	}
	if opErr != nil {
		s.log.Warn("server operation failed", "server", id, "err", opErr)
	}
}

// faultMessage is the public text of an operation's failure: a fault's
// message, or the error text (drivers' errors say what went wrong with the
// server, not with stratus).
func faultMessage(err error) string {
	if fe := fault.As(err); fe != nil {
		return fe.Message
	}
	return err.Error()
}

// serverUpdate is what PUT /servers/{id} changes; nil leaves a field.
type serverUpdate struct {
	name, ipv4, ipv6, diskConfig *string
	desc                         *string
	descSet                      bool
}

// UpdateServer changes a server's name, access IPs, disk config or
// description (Nova's update_instance: no state or lock check).
func (s *Service) UpdateServer(ctx context.Context, p *policy.Principal, id string, u serverUpdate) (*Server, error) {
	if _, err := s.Server(ctx, p, id); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *sql.Tx, sv *Server) error {
		if sv.DeletedAt != 0 {
			return serverNotFound(id)
		}
		if u.name != nil {
			sv.Name = *u.name
		}
		if u.ipv4 != nil {
			sv.AccessIPv4 = *u.ipv4
		}
		if u.ipv6 != nil {
			sv.AccessIPv6 = *u.ipv6
		}
		if u.diskConfig != nil {
			sv.AutoDiskConfig = *u.diskConfig == "AUTO"
		}
		if u.descSet {
			sv.Description = u.desc
		}
		return nil
	})
}

// powerVM maps a driver power state to the vm state it means.
func powerVM(st int) string {
	switch st {
	case 1:
		return vmActive
	case 3:
		return vmPaused
	case 7:
		return vmSuspended
	}
	return vmStopped
}

// reconcile settles servers an earlier run left mid-operation, as Nova's
// compute manager does at start (_init_instance): a build that did not
// finish is an ERROR (unless the driver has the server, then it is up), a
// delete is finished, other operations take the state the driver reports.
// Snapshots are the job engine's.
func (s *Service) reconcile(ctx context.Context) error {
	have, err := s.driver.Instances(ctx)
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM compute_servers WHERE deleted_at = 0 AND (task_state IS NOT NULL OR vm_state = $1)`, vmBuilding)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		var del bool
		_, err := s.mutate(ctx, id, func(tx *sql.Tx, sv *Server) error {
			st, known := have[id]
			switch {
			case sv.task() == taskDeleting:
				del = true
				return errSkip
			case sv.task() == taskImageSnapshot || sv.task() == taskImagePendingUp || sv.task() == taskImageUploading ||
				sv.task() == taskShelvingImageUp:
				return errSkip
			case sv.VMState == vmBuilding && !known:
				sv.VMState, sv.TaskState = vmError, nil
				sv.Fault = &Fault{Code: 500, Message: "Instance " + id + " was being built when the compute service stopped.", Created: time.Now().UTC()}
			case known:
				sv.TaskState, sv.PowerState = nil, int(st)
				if sv.VMState != vmResized && sv.VMState != vmError && sv.VMState != vmShelved && sv.VMState != vmShelvedOffloaded {
					sv.VMState = powerVM(int(st))
				}
				if sv.LaunchedAt == nil {
					now := time.Now().UTC()
					sv.LaunchedAt = &now
				}
			default:
				sv.TaskState = nil
			}
			return nil
		})
		if err != nil {
			return err
		}
		if del {
			id := id
			s.work.run(id, func(wctx context.Context) { s.destroy(wctx, id, "") })
		}
	}
	return nil
}
