package objectstore

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net"
	"net/http"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
)

// msgTempURL is the whole body of tempurl.py's 401 (none on HEAD).
const msgTempURL = "401 Unauthorized: Temp URL invalid\n"

// tempURLDisallowed are the headers a temp URL may not send on a write:
// they would point the object at data the URL does not grant.
var tempURLDisallowed = []string{"X-Object-Manifest", "X-Symlink-Target"}

// tempURLParams returns the signature and expiry under Swift's names
// (temp_url_sig, temp_url_expires) or K5's (signature/Signature,
// expires/Expires).
func tempURLParams(r *http.Request) (sig, exp string) {
	q := r.URL.Query()
	for _, k := range []string{"temp_url_sig", "signature", "Signature"} {
		if v := q.Get(k); v != "" {
			sig = v
			break
		}
	}
	for _, k := range []string{"temp_url_expires", "expires", "Expires"} {
		if v := q.Get(k); v != "" {
			exp = v
			break
		}
	}
	return sig, exp
}

// checkTempURL validates a temp URL signature when one is present and
// records what it grants in rc.temp: the account (an account key matched)
// or the URL's container (a container key matched). HMAC over
// "METHOD\nEXPIRES\nPATH" with SHA1/SHA256/SHA512 chosen by the
// signature's length or "<digest>:<base64>" form; compared with
// hmac.Equal. Only the configured methods may be signed.
func (s *Service) checkTempURL(r *http.Request, rc *reqCtx) error {
	sig, exp := tempURLParams(r)
	if sig == "" && exp == "" {
		return nil
	}
	invalid := fault.Unauthorizedf(msgTempURL)
	if sig == "" || exp == "" || rc.object == "" || !slices.Contains(s.tempURLMethods, r.Method) {
		return invalid
	}
	expires, err := parseExpires(exp)
	if err != nil || expires < time.Now().Unix() {
		return invalid
	}
	newHash, mac, err := decodeSig(sig)
	if err != nil {
		return invalid
	}
	ctx := r.Context()
	type scopedKey struct{ key, container string }
	var keys []scopedKey
	if a, err := getAccount(ctx, s.db.R(), rc.account); err == nil {
		for _, k := range []string{"X-Account-Meta-Temp-Url-Key", "X-Account-Meta-Temp-Url-Key-2"} {
			keys = append(keys, scopedKey{a.Meta[k], ""})
		}
	}
	if c, err := getContainer(ctx, s.db.R(), rc.account, rc.container); err == nil {
		for _, k := range []string{"X-Container-Meta-Temp-Url-Key", "X-Container-Meta-Temp-Url-Key-2"} {
			keys = append(keys, scopedKey{c.Meta[k], rc.container})
		}
	}
	methods := []string{r.Method}
	if r.Method == http.MethodHead {
		methods = []string{"HEAD", "GET", "PUT", "POST"}
	}
	full := r.URL.Path
	paths := []string{strings.TrimPrefix(full, catalog.ObjectStorePrefix), full}
	q := r.URL.Query()
	if q.Has("temp_url_prefix") {
		// A prefix-based URL signs "prefix:/v1/<account>/<container>/<prefix>"
		// and grants every object whose name starts with the prefix.
		prefix := q.Get("temp_url_prefix")
		if !strings.HasPrefix(rc.object, prefix) {
			return invalid
		}
		for i, p := range paths {
			paths[i] = "prefix:" + strings.TrimSuffix(p, rc.object) + prefix
		}
	}
	// The message is swift.common.utils.get_hmac's: the expiry as an
	// integer (also when the URL gave it in ISO 8601), and an
	// "ip=<range>" line first when the URL is limited to an address range.
	head, tail := "", "\n"+strconv.FormatInt(expires, 10)+"\n"
	if ipr := q.Get("temp_url_ip_range"); ipr != "" {
		if !remoteIn(r.RemoteAddr, ipr) {
			return invalid
		}
		head = "ip=" + ipr + "\n"
	}
	for _, k := range keys {
		if k.key == "" {
			continue
		}
		for _, m := range methods {
			for _, p := range paths {
				hm := hmac.New(newHash, []byte(k.key))
				hm.Write([]byte(head + m + tail + p))
				if hmac.Equal(hm.Sum(nil), mac) {
					rc.temp = &tempGrant{container: k.container, expires: expires}
					return checkTempURLHeaders(r)
				}
			}
		}
	}
	return invalid
}

// remoteIn reports whether the client address is in ipRange, an address
// or a network as Python's ip_network (strict: no host bits set) reads it.
func remoteIn(remote, ipRange string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	var pfx netip.Prefix
	if strings.Contains(ipRange, "/") {
		if pfx, err = netip.ParsePrefix(ipRange); err != nil || pfx.Masked() != pfx {
			return false
		}
	} else {
		a, err := netip.ParseAddr(ipRange)
		if err != nil {
			return false
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	return pfx.Contains(addr.Unmap())
}

func parseExpires(v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", v)
	if err != nil {
		return 0, err
	}
	return t.Unix(), nil
}

func decodeSig(sig string) (func() hash.Hash, []byte, error) {
	if d, b64, ok := strings.Cut(sig, ":"); ok {
		mac, err := base64.URLEncoding.DecodeString(padB64(b64))
		if err != nil {
			mac, err = base64.StdEncoding.DecodeString(padB64(b64))
		}
		if err != nil {
			return nil, nil, err
		}
		switch d {
		case "sha1":
			return sha1.New, mac, nil
		case "sha256":
			return sha256.New, mac, nil
		case "sha512":
			return sha512.New, mac, nil
		}
		return nil, nil, fault.Invalidf("digest")
	}
	mac, err := hex.DecodeString(sig)
	if err != nil {
		return nil, nil, err
	}
	switch len(mac) {
	case sha1.Size:
		return sha1.New, mac, nil
	case sha256.Size:
		return sha256.New, mac, nil
	case sha512.Size:
		return sha512.New, mac, nil
	}
	return nil, nil, fault.Invalidf("digest")
}

func padB64(s string) string {
	if m := len(s) % 4; m != 0 {
		s += strings.Repeat("=", 4-m)
	}
	return s
}

func checkTempURLHeaders(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	for _, k := range tempURLDisallowed {
		if _, ok := r.Header[k]; ok {
			return fault.Invalidf("The header '%s' is not allowed in this tempurl", k)
		}
	}
	return nil
}

// tempURLHeaders applies tempurl.py's outgoing rules to a response's
// headers (the defaults: outgoing_remove_headers x-object-meta-*,
// outgoing_allow_headers x-object-meta-public-*) and, on a GET or HEAD,
// sets Content-Disposition and Expires.
func tempURLHeaders(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h := w.Header()
	for k := range h {
		if strings.HasPrefix(k, "X-Object-Meta-") && !strings.HasPrefix(k, "X-Object-Meta-Public-") {
			delete(h, k)
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return
	}
	q := r.URL.Query()
	name, inline := q.Get("filename"), q.Has("inline")
	switch {
	case inline && name != "":
		h.Set("Content-Disposition", dispositionFormat("inline", name))
	case inline:
		h.Set("Content-Disposition", "inline")
	case name != "":
		h.Set("Content-Disposition", dispositionFormat("attachment", name))
	case h.Get("Content-Disposition") != "":
		// the object's own
	default:
		h.Set("Content-Disposition", dispositionFormat("attachment", path.Base(strings.TrimRight(rc.object, "/"))))
	}
	h.Set("Expires", httpDate(time.Unix(rc.temp.expires, 0)))
}

// dispositionFormat is tempurl.py's: a quoted filename for old clients
// and the RFC 5987 form for new ones.
func dispositionFormat(kind, name string) string {
	return kind + `; filename="` + pyQuoteSafe(name, " /") + `"; filename*=UTF-8''` + pyQuote(name)
}
