package diskimage

// Rules about VHDX metadata shared by the inspector and the vhdx reader.

// VHDXRequiredItems are the metadata items every vhdx must have, as qemu
// requires (it refuses an image lacking any of them): file parameters,
// virtual disk size, page 83 data, logical and physical sector size. IDs
// are as stored on disk.
var VHDXRequiredItems = []struct {
	ID   [16]byte
	Name string
}{
	{vhdxFileParameters, "file parameters"},
	{vhdxVirtualSize, "virtual size"},
	{guid("BECA12AB-B2E6-4523-93EF-C309E000C746"), "page 83 data"},
	{vhdxLogicalSector, "logical sector size"},
	{guid("CDA348C7-445D-4471-9CC9-E9885251C556"), "physical sector size"},
}

// VHDXMissingItems names the required metadata items not in seen.
func VHDXMissingItems(seen map[[16]byte]bool) []string {
	var missing []string
	for _, it := range VHDXRequiredItems {
		if !seen[it.ID] {
			missing = append(missing, it.Name)
		}
	}
	return missing
}

// VHDXCheckSectorSize returns the reason a logical sector size, or the
// virtual size measured in it, is invalid, or "".
func VHDXCheckSectorSize(lss uint32, size uint64) string {
	switch {
	case lss != 512 && lss != 4096:
		return "logical sector size is neither 512 nor 4096"
	case size%uint64(lss) != 0:
		return "virtual size is not a multiple of the logical sector size"
	}
	return ""
}
