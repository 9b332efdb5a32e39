package compute

import (
	"net/http"
	"regexp"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

var keypairNameRE = regexp.MustCompile(`^[_\- a-zA-Z0-9]+$`)

// keypairUser is the user whose key pairs a request is about: the
// caller, or from 2.10 on the user_id an admin names.
func keypairUser(r *http.Request, named string) (string, error) {
	p := principal(r)
	if named == "" || !atLeast(r, 10) || named == p.UserID {
		return p.UserID, nil
	}
	if !p.IsAdmin() {
		return "", fault.Forbiddenf("Policy doesn't allow os_compute_api:os-keypairs:%s to be performed.", "index")
	}
	return named, nil
}

func keypairView(r *http.Request, kp *Keypair, show bool) map[string]any {
	v := map[string]any{"name": kp.Name, "public_key": kp.PublicKey, "fingerprint": kp.Fingerprint}
	if atLeast(r, 2) {
		v["type"] = kp.Type
	}
	if show {
		v["user_id"], v["id"], v["deleted"] = kp.UserID, kp.ID, false
		v["created_at"], v["updated_at"], v["deleted_at"] = naiveTime(kp.CreatedAt), nil, nil
		if kp.Zone != "" {
			v["availability_zone"] = kp.Zone
		}
	}
	return v
}

func (s *Service) createKeypair(w http.ResponseWriter, r *http.Request) error {
	c, err := parseKeypairCreate(r)
	if err != nil {
		return err
	}
	user, err := keypairUser(r, c.userID)
	if err != nil {
		return err
	}
	kp, private, err := s.CreateKeypair(r.Context(), user, c.name, c.typ, c.publicKey, c.zone)
	if err != nil {
		return err
	}
	v := keypairView(r, kp, false)
	v["user_id"] = kp.UserID
	if c.publicKey == nil {
		v["private_key"] = private
	}
	status := http.StatusOK
	if atLeast(r, 2) {
		status = http.StatusCreated
	}
	return httpapi.WriteJSON(w, status, map[string]any{"keypair": v})
}

func (s *Service) listKeypairs(w http.ResponseWriter, r *http.Request) error {
	user, err := keypairUser(r, r.URL.Query().Get("user_id"))
	if err != nil {
		return err
	}
	limit, marker := 0, ""
	if atLeast(r, 35) {
		if limit, marker, err = page(r); err != nil {
			return err
		}
	}
	var kps []*Keypair
	if !atLeast(r, 35) || limit > 0 { // limit=0 is an empty page, as in Nova
		if kps, err = s.ListKeypairs(r.Context(), user, limit, marker); err != nil {
			return err
		}
	}
	out := make([]map[string]any, len(kps))
	for i, kp := range kps {
		out[i] = map[string]any{"keypair": keypairView(r, kp, false)}
	}
	body := map[string]any{"keypairs": out}
	if atLeast(r, 35) && len(kps) > 0 {
		if l := nextLinks(r, len(kps), limit, "os-keypairs", kps[len(kps)-1].Name); l != nil {
			body["keypairs_links"] = l
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

func (s *Service) getKeypair(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	user, err := keypairUser(r, q.Get("user_id"))
	if err != nil {
		return err
	}
	kp, err := s.Keypair(r.Context(), user, r.PathValue("name"), q.Get("availability_zone"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"keypair": keypairView(r, kp, true)})
}

func (s *Service) deleteKeypair(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	user, err := keypairUser(r, q.Get("user_id"))
	if err != nil {
		return err
	}
	if err := s.DeleteKeypair(r.Context(), user, r.PathValue("name"), q.Get("availability_zone")); err != nil {
		return err
	}
	if atLeast(r, 2) {
		w.WriteHeader(http.StatusNoContent)
	} else {
		w.WriteHeader(http.StatusAccepted)
	}
	return nil
}

// keypairCreate is the body of POST /os-keypairs.
type keypairCreate struct {
	name, typ, zone string
	publicKey       *string // nil: generate the key pair
	userID          string  // 2.10: the user to create it for
}

// parseKeypairCreate decodes POST /os-keypairs (type from 2.2, user_id
// from 2.10).
func parseKeypairCreate(r *http.Request) (keypairCreate, error) {
	_, m, err := body(r, "keypair")
	if err != nil {
		return keypairCreate{}, err
	}
	allowed := []string{"name", "public_key", "availability_zone"}
	if atLeast(r, 2) {
		allowed = append(allowed, "type")
	}
	if atLeast(r, 10) {
		allowed = append(allowed, "user_id")
	}
	if err := required("keypair", m, "name"); err != nil {
		return keypairCreate{}, err
	}
	if err := only("keypair", m, allowed...); err != nil {
		return keypairCreate{}, err
	}
	kpName, _, err := str(m, "name")
	if err != nil {
		return keypairCreate{}, err
	}
	if err := name("name", kpName); err != nil {
		return keypairCreate{}, err
	}
	if !keypairNameRE.MatchString(kpName) {
		return keypairCreate{}, schemaErr("name", kpName, pyRepr(kpName)+` does not match '^[_\\- a-zA-Z0-9]+$'`)
	}
	typ, ok, err := str(m, "type")
	if err != nil {
		return keypairCreate{}, err
	}
	if !ok {
		typ = "ssh"
	} else if typ != "ssh" && typ != "x509" {
		return keypairCreate{}, schemaErr("type", typ, pyRepr(typ)+" is not one of ['ssh', 'x509']")
	}
	var pub *string
	if v, ok, err := str(m, "public_key"); err != nil {
		return keypairCreate{}, err
	} else if ok {
		pub = &v
	}
	zone, _, err := str(m, "availability_zone")
	if err != nil {
		return keypairCreate{}, err
	}
	named, _, err := str(m, "user_id")
	if err != nil {
		return keypairCreate{}, err
	}
	return keypairCreate{name: kpName, typ: typ, zone: zone, publicKey: pub, userID: named}, nil
}
