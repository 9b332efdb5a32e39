package compute

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Shelve snapshots a server into "<name>-shelved", stops it and offloads
// it from its host at once (Nova with shelved_offload_time 0): it ends
// SHELVED_OFFLOADED, keeping its ports and its record.
func (s *Service) Shelve(ctx context.Context, p *policy.Principal, id, requestID string) error {
	sv, err := s.Server(ctx, p, id)
	if err != nil {
		return err
	}
	if s.jobs == nil {
		return fault.Invalidf("Snapshots are disabled on this deployment.")
	}
	c := check{action: "shelve", vms: []string{vmActive, vmStopped, vmPaused, vmSuspended}, tasks: idle, mustLaunch: true, lock: true}
	if err := sv.checkLock(p.IsAdmin()); err != nil {
		return err
	}
	if err := sv.checkState(c.action, c.vms, c.tasks, c.mustLaunch); err != nil {
		return err
	}
	im, err := s.snapshotImage(ctx, p, sv, sv.Name+"-shelved", "snapshot", nil)
	if err != nil {
		return err
	}
	err = s.startSnapshot(ctx, p, id, c, taskShelving, kindShelve, im.ID, requestID, func(sv *Server) {
		sv.SystemMetadata["shelved_image_id"] = im.ID
		sv.SystemMetadata["shelved_at"] = time.Now().UTC().Format(time.RFC3339)
		sv.SystemMetadata["shelved_host"] = deref(sv.Host)
	})
	if err != nil {
		s.images.DeleteImage(context.WithoutCancel(ctx), p, im.ID)
		return err
	}
	s.recordAction(ctx, nil, p, id, requestID, "shelve")
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// offload is the end of a shelve job: the server is stopped and removed
// from its host; the job succeeds with the server SHELVED_OFFLOADED.
func (s *Service) offload(ctx context.Context, r *job.Run, in snapshotInput) error {
	s.setTask(ctx, in.ServerID, snapshotTasks, taskShelvingOffload)
	if err := s.driver.PowerOff(ctx, in.ServerID, 0); err != nil && !isNotFound(err) {
		return err
	}
	if err := s.driver.Destroy(ctx, in.ServerID); err != nil {
		return err
	}
	return r.Finish(ctx, map[string]string{"image_id": in.ImageID}, func(tx *sql.Tx) error {
		sv, err := getServerRow(ctx, tx, in.ServerID)
		if err != nil || sv.DeletedAt != 0 {
			return nil
		}
		prev := sv.UpdatedAt
		sv.VMState, sv.TaskState, sv.PowerState = vmShelvedOffloaded, nil, int(hypervisor.Shutdown)
		sv.Host, sv.Node = nil, nil
		return writeServer(ctx, tx, sv, prev)
	})
}

func isNotFound(err error) bool {
	return errors.Is(err, hypervisor.ErrNotFound) || fault.KindOf(err) == fault.NotFound
}

// Unshelve places a shelved server on a host again and boots it from its
// shelved image, which is then deleted; zone (2.77) picks the zone.
func (s *Service) Unshelve(ctx context.Context, p *policy.Principal, id, zone, requestID string) error {
	if zone != "" && !contains(s.zones(ctx), zone) {
		return fault.Invalidf("The requested availability zone is not available")
	}
	sv, err := s.startTask(ctx, p, id, check{action: "unshelve", vms: []string{vmShelved, vmShelvedOffloaded}, tasks: idle, lock: true}, taskUnshelving, nil)
	if err != nil {
		return err
	}
	s.recordAction(ctx, nil, p, id, requestID, "unshelve")
	s.runOp(sv.ID, requestID, "compute_unshelve_instance", func(ctx context.Context) error {
		cur, err := getServerRow(ctx, s.r, id)
		if err != nil {
			return err
		}
		imageID := cur.SystemMetadata["shelved_image_id"]
		if cur.Host == nil {
			s.schedMu.Lock()
			z := zone
			if z == "" {
				z = deref(cur.Zone)
			}
			h, err := s.pick(ctx, s.r, placement{serverID: id, project: cur.ProjectID, flavor: cur.Flavor, zone: z})
			if err == nil {
				_, err = s.mutate(ctx, id, func(tx *sql.Tx, sv *Server) error {
					sv.Host, sv.Node, sv.Zone = strp(h.Name), strp(h.Name), strp(h.Zone)
					return nil
				})
			}
			s.schedMu.Unlock()
			if err != nil {
				return err
			}
			if cur, err = getServerRow(ctx, s.r, id); err != nil {
				return err
			}
		}
		im, err := s.serviceImage(ctx, cur, imageID)
		if err != nil {
			return err
		}
		sp, err := s.spec(ctx, cur, im)
		if err != nil {
			return err
		}
		if err := s.driver.Spawn(ctx, sp); err != nil {
			return err
		}
		if err := s.reattachVolumes(ctx, cur); err != nil {
			return err
		}
		s.images.DeleteImage(context.WithoutCancel(ctx), ownerOf(cur), imageID)
		return nil
	}, func(sv *Server) {
		sv.VMState, sv.PowerState = vmActive, int(hypervisor.Running)
		for _, k := range []string{"shelved_image_id", "shelved_at", "shelved_host"} {
			delete(sv.SystemMetadata, k)
		}
	})
	return nil
}

func (s *Service) actCreateImage(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	m, err := object("createImage", arg)
	if err != nil {
		return err
	}
	if err := required("createImage", m, "name"); err != nil {
		return err
	}
	if err := only("createImage", m, "name", "metadata"); err != nil {
		return err
	}
	nm, _, err := str(m, "name")
	if err != nil {
		return err
	}
	if err := name("name", nm); err != nil {
		return err
	}
	md := map[string]string{}
	if v, ok := m["metadata"]; ok {
		if md, err = parseImageMetadata(v); err != nil {
			return err
		}
	}
	p := principal(r)
	if !atLeast(r, 39) {
		if err := s.checkMetadataQuota(r.Context(), p.ProjectID, len(md)); err != nil {
			return fault.Forbiddenf("Image metadata limit exceeded")
		}
	}
	imageID, err := s.CreateImage(r.Context(), p, id, nm, md, httpapi.RequestID(r.Context()))
	if err != nil {
		return err
	}
	if atLeast(r, 45) {
		return httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"image_id": imageID})
	}
	self, _ := links(r)
	w.Header().Set("Location", self+"/images/"+imageID)
	return accepted(w)
}

// parseImageMetadata checks createImage metadata as seed 003 states it:
// keys of 1-255 characters, not blank; values of at most 65535 bytes.
func parseImageMetadata(v any) (map[string]string, error) {
	m, err := object("metadata", v)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, val := range m {
		if len(k) == 0 || len([]rune(k)) > 255 || trimSpace(k) == "" {
			return nil, fault.Invalidf("Invalid metadata: metadata key cannot be blank or longer than 255 characters.")
		}
		sv, ok := val.(string)
		if !ok {
			return nil, schemaErr(k, val, pyRepr(val)+" is not of type 'string'")
		}
		if len(sv) > 65535 {
			return nil, schemaErr(k, val, "'...' is too long")
		}
		out[k] = sv
	}
	return out, nil
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func (s *Service) actShelve(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	if err := nullOrEmpty("shelve", arg); err != nil {
		return err
	}
	if err := s.Shelve(r.Context(), principal(r), id, httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actUnshelve(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	zone := ""
	if arg != nil {
		m, err := object("unshelve", arg)
		if err != nil {
			return err
		}
		allowed := []string{}
		if atLeast(r, 77) {
			allowed = append(allowed, "availability_zone")
		}
		if err := only("unshelve", m, allowed...); err != nil {
			return err
		}
		if zone, _, err = str(m, "availability_zone"); err != nil {
			return err
		}
	}
	if err := s.Unshelve(r.Context(), principal(r), id, zone, httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

// actShelveOffload answers the admin's shelveOffload: servers here are
// offloaded when shelved, so a shelved server is offloaded already.
func (s *Service) actShelveOffload(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	p := principal(r)
	if !p.IsAdmin() {
		return fault.Forbiddenf("Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed.")
	}
	if _, err := s.startTask(r.Context(), p, id, check{action: "shelveOffload", vms: []string{vmShelved, vmShelvedOffloaded}, tasks: idle}, "", nil); err != nil {
		return err
	}
	return accepted(w)
}

// actCreateBackup is createBackup: name, backup_type and rotation are
// required; the answer is createImage's (a Location before 2.45, the
// image id from it).
func (s *Service) actCreateBackup(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	m, err := object("createBackup", arg)
	if err != nil {
		return err
	}
	if err := required("createBackup", m, "name", "backup_type", "rotation"); err != nil {
		return err
	}
	if err := only("createBackup", m, "name", "backup_type", "rotation", "metadata"); err != nil {
		return err
	}
	nm, _, err := str(m, "name")
	if err != nil {
		return err
	}
	if err := name("name", nm); err != nil {
		return err
	}
	bt, _, err := str(m, "backup_type")
	if err != nil {
		return err
	}
	rotation, err := intField(m, "rotation", 0, 0)
	if err != nil {
		return err
	}
	md := map[string]string{}
	if v, ok := m["metadata"]; ok {
		if md, err = parseImageMetadata(v); err != nil {
			return err
		}
	}
	imageID, err := s.CreateBackup(r.Context(), principal(r), id, nm, bt, int(rotation), md, httpapi.RequestID(r.Context()))
	if err != nil {
		return err
	}
	if atLeast(r, 45) {
		return httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"image_id": imageID})
	}
	self, _ := links(r)
	w.Header().Set("Location", self+"/images/"+imageID)
	return accepted(w)
}
