// Package metadata makes what a guest learns about itself: the OpenStack
// metadata documents (meta_data.json, user_data, network_data.json,
// vendor_data.json) and the EC2-style tree that cloud-init reads, served
// over HTTP to one server at a time (Handler) or written to a config drive
// (ConfigDrive). The shapes follow Nova's nova/api/metadata/base.py and
// nova/virt/netutils.py.
//
// Which server a request is about is never taken from the request: the
// caller binds each connection to its server (WithServer) from the
// forward the connection came through.
package metadata

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// Key is a key pair injected into the guest.
type Key struct {
	Name string `json:"name"`
	Type string `json:"type"` // "ssh" or "x509"
	Data string `json:"data"`
}

// NIC is one network interface as the guest should configure it.
type NIC struct {
	PortID    string   `json:"port_id"`
	NetworkID string   `json:"network_id"`
	MAC       string   `json:"mac"`
	IP        string   `json:"ip"`      // IPv4 address; "" for none
	CIDR      string   `json:"cidr"`    // of its subnet, e.g. 10.0.0.0/24
	Gateway   string   `json:"gateway"` // "" for none
	DNS       []string `json:"dns,omitempty"`
	MTU       int      `json:"mtu,omitempty"`
	DHCP      bool     `json:"dhcp,omitempty"` // the subnet hands out addresses by DHCP
}

// Instance is everything the documents are made from. Drivers keep it
// with the server (it is what the server was created with).
type Instance struct {
	UUID             string            `json:"uuid"`
	Name             string            `json:"name"`
	Hostname         string            `json:"hostname"`
	ProjectID        string            `json:"project_id"`
	AvailabilityZone string            `json:"availability_zone"`
	LaunchIndex      int               `json:"launch_index"`
	ReservationID    string            `json:"reservation_id"`
	Flavor           string            `json:"flavor"`
	ImageID          string            `json:"image_id"`
	Meta             map[string]string `json:"meta,omitempty"`
	Keys             []Key             `json:"keys,omitempty"`
	UserData         []byte            `json:"user_data,omitempty"` // nil: none given
	NICs             []NIC             `json:"nics,omitempty"`
	SecurityGroups   []string          `json:"security_groups,omitempty"`
}

// OpenStack metadata versions Nova serves, oldest first.
var openstackVersions = []string{"2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
	"2016-10-06", "2017-02-22", "2018-08-27", "2020-10-14"}

// EC2 metadata versions, oldest first.
var ec2Versions = []string{"1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
	"2008-02-01", "2008-09-01", "2009-04-04"}

const (
	grizzly = "2013-04-04"
	havana  = "2013-10-17"
	liberty = "2015-10-15"
	newton2 = "2016-10-06"
)

func atLeast(versions []string, v, min string) bool {
	return index(versions, v) >= index(versions, min)
}

func index(versions []string, v string) int {
	for i, x := range versions {
		if x == v {
			return i
		}
	}
	return -1
}

// MetaData is meta_data.json of an OpenStack version ("latest" is the
// newest).
func (in *Instance) MetaData(version string) ([]byte, error) {
	if version == "latest" {
		version = openstackVersions[len(openstackVersions)-1]
	}
	md := map[string]any{
		"uuid":              in.UUID,
		"hostname":          in.Hostname,
		"name":              in.Name,
		"launch_index":      in.LaunchIndex,
		"availability_zone": in.AvailabilityZone,
		"devices":           []any{},
	}
	if len(in.Meta) > 0 {
		md["meta"] = in.Meta
	}
	if len(in.Keys) > 0 {
		pk := map[string]string{}
		for _, k := range in.Keys {
			pk[k.Name] = k.Data
		}
		md["public_keys"] = pk
		md["keys"] = in.Keys
	}
	if atLeast(openstackVersions, version, grizzly) {
		seed := make([]byte, 512)
		rand.Read(seed)
		md["random_seed"] = base64.StdEncoding.EncodeToString(seed)
	}
	if atLeast(openstackVersions, version, liberty) {
		md["project_id"] = in.ProjectID
	}
	return json.Marshal(md)
}

// NetworkData is network_data.json (nova/virt/netutils.py
// get_network_metadata): one link per NIC, one IPv4 network per address.
func (in *Instance) NetworkData() ([]byte, error) {
	type route struct {
		Network string `json:"network"`
		Netmask string `json:"netmask"`
		Gateway string `json:"gateway"`
	}
	type service struct {
		Type    string `json:"type"`
		Address string `json:"address"`
	}
	type link struct {
		ID    string `json:"id"`
		VifID string `json:"vif_id"`
		Type  string `json:"type"`
		MTU   *int   `json:"mtu"`
		MAC   string `json:"ethernet_mac_address"`
	}
	type network struct {
		ID        string    `json:"id"`
		Type      string    `json:"type"`
		Link      string    `json:"link"`
		IP        string    `json:"ip_address,omitempty"`
		Netmask   string    `json:"netmask,omitempty"`
		Routes    []route   `json:"routes"`
		NetworkID string    `json:"network_id"`
		Services  []service `json:"services"`
	}
	out := struct {
		Links    []link    `json:"links"`
		Networks []network `json:"networks"`
		Services []service `json:"services"`
	}{Links: []link{}, Networks: []network{}, Services: []service{}}
	seen := map[string]bool{}
	for i, n := range in.NICs {
		id := "tap" + prefix(n.PortID, 11)
		l := link{ID: id, VifID: n.PortID, Type: "ethernet", MAC: n.MAC}
		if n.MTU > 0 {
			mtu := n.MTU
			l.MTU = &mtu
		}
		out.Links = append(out.Links, l)
		if n.IP == "" {
			continue
		}
		nw := network{ID: fmt.Sprintf("network%d", i), Type: "ipv4", Link: id, IP: n.IP,
			Routes: []route{}, NetworkID: n.NetworkID, Services: []service{}}
		if n.DHCP {
			nw.Type = "ipv4_dhcp"
		}
		if _, ipnet, err := net.ParseCIDR(n.CIDR); err == nil {
			nw.Netmask = net.IP(ipnet.Mask).String()
		}
		if n.Gateway != "" {
			nw.Routes = append(nw.Routes, route{Network: "0.0.0.0", Netmask: "0.0.0.0", Gateway: n.Gateway})
		}
		for _, d := range n.DNS {
			nw.Services = append(nw.Services, service{"dns", d})
			if !seen[d] {
				seen[d] = true
				out.Services = append(out.Services, service{"dns", d})
			}
		}
		if nw.Type == "ipv4_dhcp" {
			nw.IP, nw.Netmask, nw.Routes = "", "", nil
		}
		out.Networks = append(out.Networks, nw)
	}
	return json.Marshal(out)
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// VendorData is vendor_data.json (and vendor_data2.json): stratus adds
// nothing of its own.
func (in *Instance) VendorData() []byte { return []byte("{}") }

// EC2InstanceID is the server's EC2-style id; Nova prints its integer id
// as i-%08x, stratus uses the first 8 hex digits of the UUID.
func (in *Instance) EC2InstanceID() string {
	return "i-" + prefix(strings.ReplaceAll(in.UUID, "-", ""), 8)
}

func (in *Instance) firstIP() string {
	for _, n := range in.NICs {
		if n.IP != "" {
			return n.IP
		}
	}
	return ""
}

// ec2Tree is the EC2 meta-data tree of version (nova's get_ec2_metadata):
// maps are directories, strings and string lists are leaves; a map with a "_name" key is
// listed under that name (public-keys/ lists "0=keyname").
func (in *Instance) ec2Tree(version string) map[string]any {
	if version == "latest" {
		version = ec2Versions[len(ec2Versions)-1]
	}
	ami := "ami-" + prefix(strings.ReplaceAll(in.ImageID, "-", ""), 8)
	md := map[string]any{
		"ami-id":            ami,
		"ami-launch-index":  fmt.Sprint(in.LaunchIndex),
		"ami-manifest-path": "FIXME",
		"instance-id":       in.EC2InstanceID(),
		"hostname":          in.Hostname,
		"local-ipv4":        in.firstIP(),
		"reservation-id":    in.ReservationID,
		"security-groups":   append([]string{}, in.SecurityGroups...),
	}
	if len(in.Keys) > 0 {
		md["public-keys"] = map[string]any{"0": map[string]any{"_name": "0=" + in.Keys[0].Name, "openssh-key": in.Keys[0].Data}}
	}
	if atLeast(ec2Versions, version, "2007-01-19") {
		md["local-hostname"] = in.Hostname
		md["public-hostname"] = in.Hostname
		md["public-ipv4"] = ""
	}
	if atLeast(ec2Versions, version, "2007-08-29") {
		md["instance-type"] = in.Flavor
	}
	if atLeast(ec2Versions, version, "2007-12-15") {
		md["block-device-mapping"] = map[string]any{"ami": "vda", "root": "/dev/vda"}
	}
	if atLeast(ec2Versions, version, "2008-02-01") {
		md["placement"] = map[string]any{"availability-zone": in.AvailabilityZone}
	}
	if atLeast(ec2Versions, version, "2008-09-01") {
		md["instance-action"] = "none"
	}
	return md
}
