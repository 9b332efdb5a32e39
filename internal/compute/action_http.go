package compute

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// actionHandler handles one action; arg is the value under the action key.
type actionHandler func(w http.ResponseWriter, r *http.Request, id string, arg any) error

// unbuiltActions are Nova actions stratus does not serve yet: 501.
var unbuiltActions = map[string]bool{
	"rescue": true, "unrescue": true, "migrate": true, "os-migrateLive": true, "evacuate": true,
	"os-resetNetwork": true, "injectNetworkInfo": true, "trigger_crash_dump": true,
	"addFixedIp": true, "removeFixedIp": true, "addFloatingIp": true, "removeFloatingIp": true,
	"os-getSPICEConsole": true, "os-getRDPConsole": true, "os-getSerialConsole": true,
}

func (s *Service) actions() map[string]actionHandler {
	return map[string]actionHandler{
		"reboot": s.actReboot, "os-start": s.actPower("os-start"), "os-stop": s.actPower("os-stop"),
		"pause": s.actPower("pause"), "unpause": s.actPower("unpause"), "suspend": s.actPower("suspend"), "resume": s.actPower("resume"),
		"changePassword": s.actChangePassword, "lock": s.actLock, "unlock": s.actUnlock, "os-resetState": s.actResetState,
		"rebuild": s.actRebuild, "resize": s.actResize, "confirmResize": s.actResizeEnd(true), "revertResize": s.actResizeEnd(false),
		"os-getConsoleOutput": s.actConsoleOutput, "os-getVNCConsole": s.actVNCConsole,
		"createImage": s.actCreateImage, "shelve": s.actShelve, "unshelve": s.actUnshelve, "shelveOffload": s.actShelveOffload,
		"addSecurityGroup": s.actSecurityGroup(true), "removeSecurityGroup": s.actSecurityGroup(false),
		"forceDelete": s.actForceDelete, "restore": s.actRestore, "createBackup": s.actCreateBackup,
	}
}

// serverAction is POST /servers/{id}/action: the body holds exactly one
// key, the action. A body that is missing or not JSON names no action, the
// answer seed 003 documents: 400 "There is no such action: None".
func (s *Service) serverAction(w http.ResponseWriter, r *http.Request) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if len(bytes.TrimSpace(b)) == 0 || (mt != "" && mt != "application/json" && mt != "application/vnd.openstack.compute+json") {
		return fault.Invalidf("There is no such action: None")
	}
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return fault.Invalidf("Malformed request body")
	}
	if len(top) != 1 {
		return fault.Invalidf("Malformed request body")
	}
	for key, arg := range top {
		h, ok := s.actions()[key]
		if !ok {
			if unbuiltActions[key] {
				if _, err := s.Server(r.Context(), principal(r), r.PathValue("server_id")); err != nil {
					return err
				}
				return fault.NotImplementedf("The %s action is not implemented in stratus yet.", key)
			}
			return fault.Invalidf("There is no such action: %s", key)
		}
		return h(w, r, r.PathValue("server_id"), arg)
	}
	return nil
}

func accepted(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// nullOrEmpty accepts the null or {} an argument-less action takes.
func nullOrEmpty(key string, arg any) error {
	if arg == nil {
		return nil
	}
	m, ok := arg.(map[string]any)
	if !ok {
		return schemaErr(key, arg, pyRepr(arg)+" is not of type 'object', 'null'")
	}
	return only(key, m)
}

func (s *Service) actPower(key string) actionHandler {
	return func(w http.ResponseWriter, r *http.Request, id string, arg any) error {
		if err := nullOrEmpty(key, arg); err != nil {
			return err
		}
		if err := s.Power(r.Context(), principal(r), id, key, httpapi.RequestID(r.Context())); err != nil {
			return err
		}
		return accepted(w)
	}
}

func (s *Service) actReboot(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	m, err := object("reboot", arg)
	if err != nil {
		return err
	}
	if err := required("reboot", m, "type"); err != nil {
		return err
	}
	if err := only("reboot", m, "type"); err != nil {
		return err
	}
	typ, _, err := str(m, "type")
	if err != nil {
		return err
	}
	key := ""
	switch typ {
	case "SOFT", "soft":
		key = "soft-reboot"
	case "HARD", "hard":
		key = "hard-reboot"
	default:
		return schemaErr("type", typ, pyRepr(typ)+" is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']")
	}
	if err := s.Power(r.Context(), principal(r), id, key, httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actChangePassword(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	m, err := object("changePassword", arg)
	if err != nil {
		return err
	}
	if err := required("changePassword", m, "adminPass"); err != nil {
		return err
	}
	if err := only("changePassword", m, "adminPass"); err != nil {
		return err
	}
	if _, _, err := str(m, "adminPass"); err != nil {
		return err
	}
	if err := s.Power(r.Context(), principal(r), id, "changePassword", httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actLock(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	var reason *string
	if arg != nil {
		m, err := object("lock", arg)
		if err != nil {
			return err
		}
		allowed := []string{}
		if atLeast(r, 73) {
			allowed = append(allowed, "locked_reason")
		}
		if err := only("lock", m, allowed...); err != nil {
			return err
		}
		if v, ok, err := str(m, "locked_reason"); err != nil {
			return err
		} else if ok {
			if err := length("locked_reason", v, 0, 255); err != nil {
				return err
			}
			reason = &v
		}
	}
	if err := s.Lock(r.Context(), principal(r), id, reason, httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actUnlock(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	if err := nullOrEmpty("unlock", arg); err != nil {
		return err
	}
	if err := s.Unlock(r.Context(), principal(r), id, httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actResetState(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	if !principal(r).IsAdmin() {
		return fault.Forbiddenf("Policy doesn't allow os_compute_api:os-admin-actions:reset_state to be performed.")
	}
	m, err := object("os-resetState", arg)
	if err != nil {
		return err
	}
	if err := required("os-resetState", m, "state"); err != nil {
		return err
	}
	st, _, err := str(m, "state")
	if err != nil {
		return err
	}
	if st != "active" && st != "error" {
		return schemaErr("state", st, pyRepr(st)+" is not one of ['active', 'error']")
	}
	if err := s.ResetState(r.Context(), principal(r), id, st); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actConsoleOutput(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	m, err := object("os-getConsoleOutput", arg)
	if err != nil {
		return err
	}
	if err := only("os-getConsoleOutput", m, "length"); err != nil {
		return err
	}
	var length *int
	switch v := m["length"].(type) {
	case nil:
	case json.Number:
		n, err := v.Int64()
		if err != nil || n < -1 {
			return schemaErr("length", v, pyRepr(v)+" is less than the minimum of -1")
		}
		if n != -1 {
			l := int(n)
			length = &l
		}
	case string:
		n, err := strconv.Atoi(v)
		if err != nil {
			return schemaErr("length", v, pyRepr(v)+" does not match '^-?[0-9]+$'")
		}
		if n < -1 {
			return schemaErr("length", v, pyRepr(v)+" is less than the minimum of -1")
		}
		if n != -1 {
			length = &n
		}
	default:
		return schemaErr("length", v, pyRepr(v)+" is not of type 'integer', 'string', 'null'")
	}
	out, err := s.ConsoleOutput(r.Context(), principal(r), id, length)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]string{"output": out})
}

func (s *Service) actVNCConsole(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	if atLeast(r, 6) {
		return fault.NotFoundf("The resource could not be found.")
	}
	m, err := object("os-getVNCConsole", arg)
	if err != nil {
		return err
	}
	if err := required("os-getVNCConsole", m, "type"); err != nil {
		return err
	}
	typ, _, err := str(m, "type")
	if err != nil {
		return err
	}
	if typ != "novnc" && typ != "xvpvnc" {
		return schemaErr("type", typ, pyRepr(typ)+" is not one of ['novnc', 'xvpvnc']")
	}
	u, err := s.ConsoleURL(r.Context(), principal(r), id, typ)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"console": map[string]string{"type": typ, "url": u}})
}

// remoteConsole is POST /servers/{id}/remote-consoles (2.6).
func (s *Service) remoteConsole(w http.ResponseWriter, r *http.Request) error {
	if !atLeast(r, 6) {
		return fault.NotFoundf("The resource could not be found.")
	}
	_, m, err := body(r, "remote_console")
	if err != nil {
		return err
	}
	if err := required("remote_console", m, "protocol", "type"); err != nil {
		return err
	}
	proto, _, _ := str(m, "protocol")
	typ, _, _ := str(m, "type")
	if proto != "vnc" || (typ != "novnc" && typ != "xvpvnc") {
		return fault.Invalidf("Unavailable console type %s.", typ)
	}
	u, err := s.ConsoleURL(r.Context(), principal(r), r.PathValue("server_id"), typ)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"remote_console": map[string]string{"protocol": proto, "type": typ, "url": u}})
}

// actForceDelete is os-deferred-delete's forceDelete: with no deferred
// delete (reclaim_instance_interval 0) it is a delete, in any state.
func (s *Service) actForceDelete(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	if err := nullOrEmpty("forceDelete", arg); err != nil {
		return err
	}
	if err := s.DeleteServer(r.Context(), principal(r), id, httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actRestore(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	if err := nullOrEmpty("restore", arg); err != nil {
		return err
	}
	return s.Restore(r.Context(), principal(r), id)
}
