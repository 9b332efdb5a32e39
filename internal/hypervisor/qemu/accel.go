package qemu

import (
	"os"

	"golang.org/x/sys/unix"
)

// DetectAccel says which accelerator QEMU can use here: "kvm" when
// /dev/kvm opens, answers KVM_GET_API_VERSION with 12, creates a VM, and
// is backed by hardware virtualisation (kvm_intel or kvm_amd loaded);
// "tcg" otherwise, with the reason. The last check matters on hosts whose
// KVM is a paravirtual one (kvm_pvm, as on these machines), which runs
// only guests built for it: a stock BIOS and boot sector hang there.
func DetectAccel() (accel, why string) {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "tcg", "/dev/kvm: " + err.Error()
	}
	defer f.Close()
	const kvmGetAPIVersion, kvmCreateVM = 0xAE00, 0xAE01
	v, err := unix.IoctlRetInt(int(f.Fd()), kvmGetAPIVersion)
	if err != nil || v != 12 {
		return "tcg", "KVM_GET_API_VERSION failed"
	}
	vm, err := unix.IoctlRetInt(int(f.Fd()), kvmCreateVM)
	if err != nil {
		return "tcg", "KVM_CREATE_VM: " + err.Error()
	}
	unix.Close(vm)
	for _, m := range []string{"/sys/module/kvm_intel", "/sys/module/kvm_amd"} {
		if _, err := os.Stat(m); err == nil {
			return "kvm", "hardware virtualisation through /dev/kvm"
		}
	}
	return "tcg", "/dev/kvm is not backed by kvm_intel or kvm_amd"
}
