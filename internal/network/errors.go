package network

import (
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Sentinel errors. Every fault this package returns for one of these
// conditions wraps the sentinel as its Cause, so callers match it with
// errors.Is whatever the message (Neutron's text on the Neutron API,
// Nova's text from the Go API the compute service uses).
var (
	ErrNetworkNotFound       = errors.New("network not found")
	ErrSubnetNotFound        = errors.New("subnet not found")
	ErrPortNotFound          = errors.New("port not found")
	ErrPortInUse             = errors.New("port in use")
	ErrFixedIPInUse          = errors.New("fixed IP in use")
	ErrNoMoreIPs             = errors.New("no more IP addresses")
	ErrSecurityGroupNotFound = errors.New("security group not found")
	ErrNetworkAmbiguous      = errors.New("more than one network")
	ErrNetworkRequiresSubnet = errors.New("network has no subnet")
	ErrInvalidFixedIP        = errors.New("fixed IP not valid for network")
	ErrExternalNetwork       = errors.New("external network attach forbidden")
	ErrOverQuota             = errors.New("over quota")
	ErrNoUniqueMatch         = errors.New("security group name matches several groups")
)

// neutronErr is a fault carrying Neutron's exception class name as its
// Code (rendered as NeutronError.type) and cause as its sentinel.
func neutronErr(kind fault.Kind, typ string, cause error, format string, args ...any) *fault.Error {
	e := fault.New(kind, format, args...)
	e.Code = typ
	e.Cause = cause
	return e
}

// badRequest is webob's HTTPBadRequest raised by Neutron's API layer
// (attribute validation): type "HTTPBadRequest".
func badRequest(format string, args ...any) *fault.Error {
	return neutronErr(fault.Invalid, "HTTPBadRequest", nil, format, args...)
}

// invalidInput is neutron_lib's InvalidInput.
func invalidInput(format string, args ...any) *fault.Error {
	return neutronErr(fault.Invalid, "InvalidInput", nil, "Invalid input for operation: "+format+".", args...)
}

// invalidAttr is the message of a value refused by an attribute validator.
func invalidAttr(attr, reason string) *fault.Error {
	return badRequest("Invalid input for %s. Reason: %s.", attr, reason)
}

func networkNotFound(id string) *fault.Error {
	return neutronErr(fault.NotFound, "NetworkNotFound", ErrNetworkNotFound, "Network %s could not be found.", id)
}

func subnetNotFound(id string) *fault.Error {
	return neutronErr(fault.NotFound, "SubnetNotFound", ErrSubnetNotFound, "Subnet %s could not be found.", id)
}

func portNotFound(id string) *fault.Error {
	return neutronErr(fault.NotFound, "PortNotFound", ErrPortNotFound, "Port %s could not be found.", id)
}

func securityGroupNotFound(id string) *fault.Error {
	return neutronErr(fault.NotFound, "SecurityGroupNotFound", ErrSecurityGroupNotFound, "Security group %s does not exist", id)
}

func ruleNotFound(id string) *fault.Error {
	return neutronErr(fault.NotFound, "SecurityGroupRuleNotFound", nil, "Security group rule %s does not exist", id)
}

func routerNotFound(id string) *fault.Error {
	return neutronErr(fault.NotFound, "RouterNotFound", nil, "Router %s could not be found", id)
}

func floatingIPNotFound(id string) *fault.Error {
	return neutronErr(fault.NotFound, "FloatingIPNotFound", nil, "Floating IP %s could not be found", id)
}

func ipAlreadyAllocated(ip, subnetID string) *fault.Error {
	return neutronErr(fault.Conflict, "IpAddressAlreadyAllocated", ErrFixedIPInUse,
		"IP address %s already allocated in subnet %s", ip, subnetID)
}

func ipGenerationFailure(netID string) *fault.Error {
	return neutronErr(fault.Conflict, "IpAddressGenerationFailure", ErrNoMoreIPs,
		"No more IP addresses available on network %s.", netID)
}

func macInUse(netID, mac string) *fault.Error {
	return neutronErr(fault.Conflict, "MacAddressInUse", ErrPortInUse,
		"Unable to complete operation for network %s. The mac address %s is in use.", netID, mac)
}

func portInUse(portID, netID, deviceID string) *fault.Error {
	return neutronErr(fault.Conflict, "PortInUse", ErrPortInUse,
		"Unable to complete operation on port %s for network %s. Port already has an attached device %s.", portID, netID, deviceID)
}

func overQuota(resource string) *fault.Error {
	return neutronErr(fault.Conflict, "OverQuota", ErrOverQuota, "Quota exceeded for resources: ['%s'].", resource)
}

// notAuthorized is oslo.policy's PolicyNotAuthorized, a 403.
func notAuthorized(rule string) *fault.Error {
	return neutronErr(fault.Forbidden, "PolicyNotAuthorized", nil, "%s is disallowed by policy", rule)
}

// hiddenNotFound is what Neutron answers when policy hides a resource.
func hiddenNotFound() *fault.Error {
	return neutronErr(fault.NotFound, "HTTPNotFound", nil, "The resource could not be found.")
}

func inUse(typ, format string, args ...any) *fault.Error {
	return neutronErr(fault.Conflict, typ, nil, format, args...)
}

func notFoundErr(typ, format string, args ...any) *fault.Error {
	return neutronErr(fault.NotFound, typ, nil, format, args...)
}
