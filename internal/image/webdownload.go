package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WebDownload says which URLs the web-download import method may fetch,
// as Glance's [import_filtering_opts] do: http and https only, on the
// allowed ports (80 and 443 by default), and never to a loopback,
// private, link-local, multicast or unspecified address unless the host
// (a name, an address or a CIDR) is listed in AllowHosts. The address
// checked is the one connected to, after DNS, so a name that resolves to
// a forbidden address is refused too; every redirect is checked again.
type WebDownload struct {
	Ports      []int
	AllowHosts []string
	// Timeout bounds a whole download (default 24 h).
	Timeout time.Duration
}

// DefaultWebDownloadPorts are Glance's default allowed ports.
var DefaultWebDownloadPorts = []int{80, 443}

func (w WebDownload) ports() []int {
	if len(w.Ports) == 0 {
		return DefaultWebDownloadPorts
	}
	return w.Ports
}

// CheckURL reports whether raw passes the scheme and port filters (the
// address is checked when connecting).
func (w WebDownload) CheckURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return nil, false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.Atoi(port)
	if err != nil || !slices.Contains(w.ports(), n) {
		return nil, false
	}
	return u, true
}

// hostListed reports whether host (a name or an address) is in AllowHosts.
func (w WebDownload) hostListed(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range w.AllowHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}

// addrListed reports whether ip is in AllowHosts (an address or a CIDR).
func (w WebDownload) addrListed(ip netip.Addr) bool {
	for _, h := range w.AllowHosts {
		if p, err := netip.ParsePrefix(h); err == nil && p.Contains(ip) {
			return true
		}
		if a, err := netip.ParseAddr(h); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}

// internal reports addresses web-download never reaches unless listed.
func internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) || netip.MustParsePrefix("0.0.0.0/8").Contains(ip)
}

// dial resolves host and connects to the first of its addresses that is
// allowed; the address checked is the address dialled.
func (w WebDownload) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	listed := w.hostListed(host)
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 30 * time.Second}
	refused := false
	for _, ip := range ips {
		if internal(ip) && !listed && !w.addrListed(ip) {
			refused = true
			continue
		}
		return d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
	}
	if refused {
		return nil, errForbiddenAddress
	}
	return nil, fmt.Errorf("no address for %s", host)
}

var errForbiddenAddress = errors.New("the address is not allowed for web-download")

// Open starts a GET of raw and returns its body and declared length (-1
// when unknown). Redirects (at most 10) are filtered like the first URL.
func (w WebDownload) Open(ctx context.Context, raw string) (io.ReadCloser, int64, error) {
	u, ok := w.CheckURL(raw)
	if !ok {
		return nil, 0, fmt.Errorf("URI for web-download does not pass filtering: %s", raw)
	}
	client := &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: w.dial, TLSHandshakeTimeout: 30 * time.Second,
			ResponseHeaderTimeout: 5 * time.Minute},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if _, ok := w.CheckURL(req.URL.String()); !ok {
				return fmt.Errorf("Redirect to disallowed URL: %s", req.URL.Redacted())
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, 0, fmt.Errorf("the server answered %s", resp.Status)
	}
	return resp.Body, resp.ContentLength, nil
}
