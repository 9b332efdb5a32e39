package network

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestDefaultPools(t *testing.T) {
	tests := []struct {
		cidr, gw string
		want     string
	}{
		{"10.0.0.0/24", "10.0.0.1", "[10.0.0.2-10.0.0.254]"},
		{"10.0.0.0/24", "10.0.0.100", "[10.0.0.1-10.0.0.99 10.0.0.101-10.0.0.254]"},
		{"10.0.0.0/24", "10.0.0.254", "[10.0.0.1-10.0.0.253]"},
		{"10.0.0.0/24", "", "[10.0.0.1-10.0.0.254]"},
		{"10.0.0.0/24", "192.168.0.1", "[10.0.0.1-10.0.0.254]"},
		{"10.0.0.0/30", "10.0.0.1", "[10.0.0.2-10.0.0.2]"},
		{"10.0.0.0/31", "", "[10.0.0.0-10.0.0.1]"},
		{"10.0.0.7/32", "", "[10.0.0.7-10.0.0.7]"},
		{"2001:db8::/64", "2001:db8::1", "[2001:db8::2-2001:db8::ffff:ffff:ffff:ffff]"},
	}
	for _, tt := range tests {
		var gw netip.Addr
		if tt.gw != "" {
			gw = netip.MustParseAddr(tt.gw)
		}
		got := fmt.Sprint(defaultPools(netip.MustParsePrefix(tt.cidr), gw))
		if got != tt.want {
			t.Errorf("defaultPools(%s, %s) = %s, want %s", tt.cidr, tt.gw, got, tt.want)
		}
	}
}

func TestValidatePools(t *testing.T) {
	pool := func(a, b string) Pool { return Pool{netip.MustParseAddr(a), netip.MustParseAddr(b)} }
	cidr := netip.MustParsePrefix("10.0.0.0/24")
	tests := []struct {
		name   string
		pools  []Pool
		status int
		msg    string
	}{
		{"ok", []Pool{pool("10.0.0.10", "10.0.0.20"), pool("10.0.0.30", "10.0.0.40")}, 0, ""},
		{"reversed", []Pool{pool("10.0.0.20", "10.0.0.10")}, 400, "The allocation pool 10.0.0.20-10.0.0.10 is not valid."},
		{"version", []Pool{pool("10.0.0.2", "::5")}, 400, "The allocation pool 10.0.0.2-::5 is not valid."},
		{"network address", []Pool{pool("10.0.0.0", "10.0.0.5")}, 400,
			"The allocation pool 10.0.0.0-10.0.0.5 spans beyond the subnet cidr 10.0.0.0/24."},
		{"broadcast", []Pool{pool("10.0.0.250", "10.0.0.255")}, 400,
			"The allocation pool 10.0.0.250-10.0.0.255 spans beyond the subnet cidr 10.0.0.0/24."},
		{"overlap", []Pool{pool("10.0.0.10", "10.0.0.20"), pool("10.0.0.20", "10.0.0.30")}, 409,
			"Found overlapping allocation pools: 10.0.0.10-10.0.0.20 10.0.0.20-10.0.0.30 for subnet 10.0.0.0/24."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validatePools(tt.pools, cidr)
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, nil, tt.status, tt.msg)
		})
	}
}

func TestNextInPools(t *testing.T) {
	pools := []Pool{{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")}, {netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("10.0.0.9")}}
	a := netip.Addr{}
	var got []string
	for i := 0; i < 5; i++ {
		a = nextInPools(a, pools)
		got = append(got, a.String())
	}
	if want := "[10.0.0.2 10.0.0.3 10.0.0.9 10.0.0.2 10.0.0.3]"; fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

func TestEUI64AndMAC(t *testing.T) {
	a, ok := eui64(netip.MustParsePrefix("2001:db8::/64"), "fa:16:3e:12:34:56")
	if !ok || a.String() != "2001:db8::f816:3eff:fe12:3456" {
		t.Fatalf("eui64 = %s %v", a, ok)
	}
	for in, want := range map[string]string{
		"FA:16:3E:AA:BB:CC": "fa:16:3e:aa:bb:cc", "fa-16-3e-00-00-01": "fa:16:3e:00:00:01",
		"00:00:00:00:00:00": "", "ff:ff:ff:ff:ff:ff": "", "fa:16:3e:aa:bb": "", "zz:16:3e:aa:bb:cc": "",
	} {
		got, ok := canonicalMAC(in)
		if got != want || ok != (want != "") {
			t.Errorf("canonicalMAC(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for i := 0; i < 20; i++ {
		m := randomMAC()
		if _, ok := canonicalMAC(m); !ok || m[:9] != "fa:16:3e:" {
			t.Fatalf("randomMAC() = %s", m)
		}
	}
}

func TestParseSubnetCIDR(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.0/24": "10.0.0.0/24", "2001:db8::/64": "2001:db8::/64", "2001:db8::5/64": "2001:db8::/64",
		"10.0.0.1/24": "10.0.0.0/24", "10.0.0.0": "", "abc": "", "10.0.0.0/33": "",
	} {
		got, msg := parseSubnetCIDR(in)
		if want == "" {
			if msg != fmt.Sprintf("'%s' is not a valid IP subnet", in) {
				t.Errorf("parseSubnetCIDR(%q): message %q", in, msg)
			}
			continue
		}
		if msg != "" || got.String() != want {
			t.Errorf("parseSubnetCIDR(%q) = %s %q, want %s", in, got, msg, want)
		}
	}
}

func TestPortCopyEncoding(t *testing.T) {
	ips := []FixedIP{{SubnetID: "s1", IPAddress: "10.0.0.2", Version: 4}, {SubnetID: "s2", IPAddress: "2001:db8::5", Version: 6}}
	for _, in := range []string{encodeIPs(ips), `[{"subnet_id":"s1","ip_address":"10.0.0.2"},{"subnet_id":"s2","ip_address":"2001:db8::5"}]`} {
		got, err := decodeIPs(in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(ips) {
			t.Fatalf("decodeIPs(%q) = %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "[]"} {
		if got, err := decodeIPs(in); err != nil || len(got) != 0 {
			t.Fatalf("decodeIPs(%q) = %v %v", in, got, err)
		}
		if got, err := decodeGroups(in); err != nil || got == nil || len(got) != 0 {
			t.Fatalf("decodeGroups(%q) = %v %v", in, got, err)
		}
	}
	if got, _ := decodeGroups("a,b"); fmt.Sprint(got) != "[a b]" {
		t.Fatalf("groups %v", got)
	}
	if got, _ := decodeGroups(`["a","b"]`); fmt.Sprint(got) != "[a b]" {
		t.Fatalf("legacy groups %v", got)
	}
	if _, err := decodeIPs("nospace"); err == nil {
		t.Fatal("bad copy accepted")
	}
}
