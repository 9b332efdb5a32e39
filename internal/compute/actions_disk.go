package compute

import (
	"context"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// rebuildRequest is a validated rebuild action.
type rebuildRequest struct {
	imageRef   string
	adminPass  string
	name       *string
	metadata   map[string]string
	ipv4, ipv6 *string
	diskConfig *string
	descSet    bool
	desc       *string
	keySet     bool
	keyName    *string
	userSet    bool
	userData   *string
}

// Rebuild gives a server a fresh root disk from an image (Nova's
// rebuild: vm active, stopped or error; a stopped server stays stopped).
func (s *Service) Rebuild(ctx context.Context, p *policy.Principal, id string, rb rebuildRequest, requestID string) (*Server, error) {
	cur, err := s.Server(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if cur.ImageID == "" {
		// Nova re-images a root volume from 2.93 on (Cinder's os-reimage),
		// which stratus does not implement.
		return nil, fault.Invalidf("Unable to rebuild with a different image for a volume-backed server.")
	}
	im, err := s.images.Image(ctx, p, idFromHref(rb.imageRef))
	if err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return nil, fault.Invalidf("Cannot find image for rebuild")
		}
		return nil, err
	}
	f := &Flavor{ID: cur.Flavor.ID, MemoryMB: cur.Flavor.MemoryMB, RootGB: cur.Flavor.RootGB}
	if err := checkImage(p, im, f); err != nil {
		return nil, err
	}
	if rb.metadata != nil {
		if err := s.checkMetadataQuota(ctx, cur.ProjectID, len(rb.metadata)); err != nil {
			return nil, fault.Forbiddenf("%s", faultMessage(err))
		}
	}
	var kp *Keypair
	if rb.keySet && rb.keyName != nil {
		if kp, err = s.Keypair(ctx, cur.UserID, *rb.keyName, ""); err != nil {
			return nil, fault.Invalidf("Invalid key_name provided.")
		}
	}
	var wasStopped bool
	sv, err := s.startTask(ctx, p, id, check{action: "rebuild", vms: []string{vmActive, vmStopped, vmError}, tasks: idle, lock: true},
		taskRebuilding, func(sv *Server) error {
			wasStopped = sv.VMState == vmStopped
			sv.ImageID = im.ID
			if rb.name != nil {
				sv.Name = *rb.name
			}
			if rb.metadata != nil {
				sv.Metadata = rb.metadata
			}
			if rb.ipv4 != nil {
				sv.AccessIPv4 = *rb.ipv4
			}
			if rb.ipv6 != nil {
				sv.AccessIPv6 = *rb.ipv6
			}
			if rb.diskConfig != nil {
				sv.AutoDiskConfig = *rb.diskConfig == "AUTO"
			}
			if rb.descSet {
				sv.Description = rb.desc
			}
			if rb.keySet {
				sv.KeyName, sv.KeyData = nil, nil
				if kp != nil {
					sv.KeyName, sv.KeyData = strp(kp.Name), strp(kp.PublicKey)
				}
			}
			if rb.userSet {
				sv.UserData = rb.userData
			}
			imageSystemMetadata(sv, im, &Flavor{RootGB: sv.Flavor.RootGB})
			sv.Fault = nil
			return nil
		})
	if err != nil {
		return nil, err
	}
	s.recordAction(ctx, nil, p, id, requestID, "rebuild")
	s.runOp(id, requestID, "compute_rebuild_instance", func(ctx context.Context) error {
		cur, err := getServerRow(ctx, s.r, id)
		if err != nil {
			return err
		}
		sp, err := s.spec(ctx, cur, im)
		if err != nil {
			return err
		}
		if err := s.driver.Rebuild(ctx, sp); err != nil {
			return err
		}
		if wasStopped {
			return s.driver.PowerOff(ctx, id, 0)
		}
		return nil
	}, func(sv *Server) {
		sv.VMState, sv.PowerState = vmActive, int(hypervisor.Running)
		if wasStopped {
			sv.VMState, sv.PowerState = vmStopped, int(hypervisor.Shutdown)
		}
	})
	return sv, nil
}

// Resize moves a server to another flavor; it waits in VERIFY_RESIZE for
// confirmResize or revertResize.
func (s *Service) Resize(ctx context.Context, p *policy.Principal, id, flavorRef string, diskConfig *string, requestID string) error {
	cur, err := s.Server(ctx, p, id)
	if err != nil {
		return err
	}
	f, err := s.Flavor(ctx, p, flavorRef)
	if err != nil {
		return fault.Invalidf("Flavor %s could not be found.", flavorRef)
	}
	if f.ID == cur.Flavor.ID {
		return fault.Invalidf("When resizing, instances must change flavor!")
	}
	if f.RootGB < cur.Flavor.RootGB {
		return fault.Invalidf("Server disk was unable to be resized because: Unable to resize disk down.")
	}
	if dv, dr := f.VCPUs-cur.Flavor.VCPUs, f.MemoryMB-cur.Flavor.MemoryMB; dv > 0 || dr > 0 {
		limits, err := s.Limits(ctx, cur.ProjectID, cur.UserID)
		if err != nil {
			return err
		}
		used, err := s.Usage(ctx, s.r, cur.ProjectID, "")
		if err != nil {
			return err
		}
		for _, k := range []string{"cores", "ram"} {
			d := map[string]int64{"cores": dv, "ram": dr}[k]
			if l := limits[k]; l >= 0 && d > 0 && used[k]+d > l {
				return fault.Forbiddenf("Quota exceeded for %s: Requested %d, but already used %d of %d %s", k, d, used[k], l, k)
			}
		}
	}
	var wasStopped bool
	sv, err := s.startTask(ctx, p, id, check{action: "resize", vms: []string{vmActive, vmStopped}, tasks: idle, mustLaunch: true, lock: true},
		taskResizePrep, func(sv *Server) error {
			wasStopped = sv.VMState == vmStopped
			old := sv.Flavor
			sv.OldFlavor, sv.Flavor = &old, flavorInfo(f)
			if diskConfig != nil {
				sv.AutoDiskConfig = *diskConfig == "AUTO"
			}
			return nil
		})
	if err != nil {
		return err
	}
	s.recordAction(ctx, nil, p, id, requestID, "resize")
	s.runOp(sv.ID, requestID, "compute_resize_instance", func(ctx context.Context) error {
		cur, err := getServerRow(ctx, s.r, id)
		if err != nil {
			return err
		}
		mig := s.recordMigration(ctx, cur)
		sp, err := s.spec(ctx, cur, nil)
		if err == nil {
			err = s.driver.Resize(ctx, sp)
		}
		if err != nil {
			s.setMigrationStatus(ctx, mig, "error")
			return err
		}
		s.setMigrationStatus(ctx, mig, "finished")
		if wasStopped {
			return s.driver.PowerOff(ctx, id, 0)
		}
		return nil
	}, func(sv *Server) {
		sv.VMState, sv.PowerState = vmResized, int(hypervisor.Running)
		if wasStopped {
			sv.PowerState = int(hypervisor.Shutdown)
			sv.SystemMetadata["old_vm_state"] = vmStopped
		}
	})
	return nil
}

// resizeEnd settles a resize: confirm keeps the new flavor, revert goes
// back to the old one; both return the server to the state it was in.
func (s *Service) resizeEnd(ctx context.Context, p *policy.Principal, id string, confirm bool, requestID string) error {
	action, task := "revertResize", taskResizeReverting
	if confirm {
		action, task = "confirmResize", taskResizeConfirming
	}
	sv, err := s.startTask(ctx, p, id, check{action: action, vms: []string{vmResized}, tasks: idle, mustLaunch: true, lock: true}, task, func(sv *Server) error {
		if sv.OldFlavor == nil {
			return fault.Invalidf("Instance has not been resized.")
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		err = nil
	}
	if err != nil {
		return err
	}
	s.recordAction(ctx, nil, p, id, requestID, action)
	stopped := sv.SystemMetadata["old_vm_state"] == vmStopped
	s.runOp(id, requestID, "compute_"+map[bool]string{true: "confirm_resize", false: "finish_revert_resize"}[confirm], func(ctx context.Context) error {
		var err error
		if confirm {
			err = s.driver.ConfirmResize(ctx, id)
		} else if err = s.driver.RevertResize(ctx, id); err == nil && stopped {
			err = s.driver.PowerOff(ctx, id, 0)
		}
		if err == nil {
			s.setMigrationStatus(ctx, s.lastMigration(ctx, id), map[bool]string{true: "confirmed", false: "reverted"}[confirm])
		}
		return err
	}, func(sv *Server) {
		if !confirm && sv.OldFlavor != nil {
			sv.Flavor = *sv.OldFlavor
		}
		sv.OldFlavor = nil
		sv.VMState, sv.PowerState = vmActive, int(hypervisor.Running)
		if stopped {
			sv.VMState, sv.PowerState = vmStopped, int(hypervisor.Shutdown)
		}
		delete(sv.SystemMetadata, "old_vm_state")
	})
	return nil
}
