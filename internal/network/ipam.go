package network

import (
	"crypto/rand"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// usableRange is the range of addresses a pool may take in cidr, as
// Neutron's validate_allocation_pools and generate_pools compute it: the
// network address and (IPv4, prefixes up to /30) the broadcast address are
// left out.
func usableRange(cidr netip.Prefix) (first, last netip.Addr) {
	first, last = cidr.Masked().Addr(), lastAddr(cidr)
	if first == last {
		return first, last
	}
	if cidr.Addr().Is4() {
		if cidr.Bits() <= 30 {
			return first.Next(), last.Prev()
		}
		return first, last
	}
	return first.Next(), last
}

// defaultGateway is the gateway a subnet gets when none is given: the
// first address after the network address.
func defaultGateway(cidr netip.Prefix) netip.Addr {
	return cidr.Masked().Addr().Next()
}

// defaultPools is Neutron's generate_pools: the usable range less the
// gateway.
func defaultPools(cidr netip.Prefix, gw netip.Addr) []Pool {
	first, last := usableRange(cidr)
	if first == last {
		return []Pool{{first, last}}
	}
	if !gw.IsValid() || gw.Less(first) || last.Less(gw) {
		return []Pool{{first, last}}
	}
	var out []Pool
	if first.Less(gw) {
		out = append(out, Pool{first, gw.Prev()})
	}
	if gw.Less(last) {
		out = append(out, Pool{gw.Next(), last})
	}
	return out
}

func (p Pool) String() string { return p.Start.String() + "-" + p.End.String() }

func (p Pool) contains(a netip.Addr) bool {
	return a.BitLen() == p.Start.BitLen() && !a.Less(p.Start) && !p.End.Less(a)
}

func (p Pool) overlaps(q Pool) bool { return !p.End.Less(q.Start) && !q.End.Less(p.Start) }

// size is the number of addresses in p, capped at math.MaxInt64.
func (p Pool) size() int64 {
	a, b := new(big.Int).SetBytes(p.Start.AsSlice()), new(big.Int).SetBytes(p.End.AsSlice())
	n := b.Sub(b, a)
	n.Add(n, big.NewInt(1))
	if !n.IsInt64() {
		return math.MaxInt64
	}
	return n.Int64()
}

// validatePools checks pools against cidr with Neutron's errors and
// messages (validate_allocation_pools).
func validatePools(pools []Pool, cidr netip.Prefix) error {
	first, last := usableRange(cidr)
	for _, p := range pools {
		if p.Start.BitLen() != first.BitLen() || p.End.BitLen() != first.BitLen() || p.End.Less(p.Start) {
			return neutronErr(fault.Invalid, "InvalidAllocationPool", nil, "The allocation pool %s is not valid.", p)
		}
		if p.Start.Less(first) || last.Less(p.End) {
			return neutronErr(fault.Invalid, "OutOfBoundsAllocationPool", nil,
				"The allocation pool %s spans beyond the subnet cidr %s.", p, cidr)
		}
	}
	for i := range pools {
		for j := i + 1; j < len(pools); j++ {
			if pools[i].overlaps(pools[j]) {
				return neutronErr(fault.Conflict, "OverlappingAllocationPools", nil,
					"Found overlapping allocation pools: %s %s for subnet %s.", pools[i], pools[j], cidr)
			}
		}
	}
	return nil
}

func inPools(a netip.Addr, pools []Pool) bool {
	for _, p := range pools {
		if p.contains(a) {
			return true
		}
	}
	return false
}

// poolsSize is the number of addresses in pools, capped at math.MaxInt64.
func poolsSize(pools []Pool) int64 {
	var n int64
	for _, p := range pools {
		s := p.size()
		if n > math.MaxInt64-s {
			return math.MaxInt64
		}
		n += s
	}
	return n
}

// nextInPools is the address after a in pools' order, wrapping around
// from the end of the last pool to the start of the first; an invalid a
// starts at the first pool.
func nextInPools(a netip.Addr, pools []Pool) netip.Addr {
	if len(pools) == 0 {
		return netip.Addr{}
	}
	if !a.IsValid() {
		return pools[0].Start
	}
	for i, p := range pools {
		if p.contains(a) {
			if a != p.End {
				return a.Next()
			}
			return pools[(i+1)%len(pools)].Start
		}
	}
	return pools[0].Start
}

// canonicalIP parses an IP address as Neutron's validate_ip_address
// accepts it, returning its canonical text or the validator's message.
func canonicalIP(s string) (netip.Addr, string) {
	if strings.TrimSpace(s) != s || s == "" {
		return netip.Addr{}, fmt.Sprintf("'%s' is not a valid IP address", s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Sprintf("'%s' is not a valid IP address", s)
	}
	if a.Is4In6() && !strings.Contains(s, ":") {
		a = a.Unmap()
	}
	return a, ""
}

// parseSubnetCIDR is validate_subnet plus Neutron's canonical form.
func parseSubnetCIDR(s string) (netip.Prefix, string) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !strings.Contains(s, "/") {
		return netip.Prefix{}, fmt.Sprintf("'%s' is not a valid IP subnet", s)
	}
	if p.Addr().Is4() && p.String() != s {
		return netip.Prefix{}, fmt.Sprintf("'%s' is not a valid IP subnet", s)
	}
	return p.Masked(), ""
}

// randomMAC is a MAC with Neutron's default base_mac fa:16:3e:00:00:00.
func randomMAC() string {
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2])
}

// eui64 is the SLAAC address of mac in a /64 prefix.
func eui64(prefix netip.Prefix, mac string) (netip.Addr, bool) {
	hw, ok := parseMAC(mac)
	if !ok || !prefix.Addr().Is6() {
		return netip.Addr{}, false
	}
	b := prefix.Masked().Addr().As16()
	b[8] = hw[0] ^ 0x02
	b[9], b[10] = hw[1], hw[2]
	b[11], b[12] = 0xff, 0xfe
	b[13], b[14], b[15] = hw[3], hw[4], hw[5]
	return netip.AddrFrom16(b), true
}

// parseMAC reads a colon-separated 48-bit MAC.
func parseMAC(s string) ([6]byte, bool) {
	var hw [6]byte
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		parts = strings.Split(s, "-")
	}
	if len(parts) != 6 {
		return hw, false
	}
	for i, p := range parts {
		if len(p) != 2 {
			return hw, false
		}
		var v byte
		for _, c := range []byte(strings.ToLower(p)) {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | (c - '0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | (c - 'a' + 10)
			default:
				return hw, false
			}
		}
		hw[i] = v
	}
	return hw, true
}

// canonicalMAC is Neutron's validate_mac_address and sanitized form:
// lower-case, colon-separated, neither all zeros nor all ones.
func canonicalMAC(s string) (string, bool) {
	hw, ok := parseMAC(s)
	if !ok || hw == [6]byte{} || hw == [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} {
		return "", false
	}
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", hw[0], hw[1], hw[2], hw[3], hw[4], hw[5]), true
}
