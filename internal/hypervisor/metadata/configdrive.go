package metadata

import (
	"encoding/json"
	"io"
	"time"

	"github.com/stratus-iaas/stratus/internal/iso9660"
)

// ConfigDriveLabel is the volume label cloud-init looks for.
const ConfigDriveLabel = "config-2"

// ConfigDriveFiles are the files of a config drive, as Nova's
// metadata_for_config_drive lays them out: every OpenStack version with
// the documents it has, and the EC2 meta-data as JSON for the versions
// Nova does not skip by default (2009-04-04 and latest).
func (in *Instance) ConfigDriveFiles() ([]iso9660.File, error) {
	var files []iso9660.File
	for _, v := range []string{"2009-04-04", "latest"} {
		if in.UserData != nil {
			files = append(files, iso9660.File{Path: "ec2/" + v + "/user-data", Data: in.UserData})
		}
		b, err := json.Marshal(ec2JSON(in.ec2Tree(v)))
		if err != nil {
			return nil, err
		}
		files = append(files, iso9660.File{Path: "ec2/" + v + "/meta-data.json", Data: b})
	}
	for _, v := range append(append([]string{}, openstackVersions...), "latest") {
		dir := "openstack/" + v + "/"
		md, err := in.MetaData(v)
		if err != nil {
			return nil, err
		}
		files = append(files, iso9660.File{Path: dir + "meta_data.json", Data: md})
		if in.UserData != nil {
			files = append(files, iso9660.File{Path: dir + "user_data", Data: in.UserData})
		}
		ver := osVersion(v)
		if atLeast(openstackVersions, ver, havana) {
			files = append(files, iso9660.File{Path: dir + "vendor_data.json", Data: in.VendorData()})
		}
		if atLeast(openstackVersions, ver, liberty) {
			nd, err := in.NetworkData()
			if err != nil {
				return nil, err
			}
			files = append(files, iso9660.File{Path: dir + "network_data.json", Data: nd})
		}
		if atLeast(openstackVersions, ver, newton2) {
			files = append(files, iso9660.File{Path: dir + "vendor_data2.json", Data: in.VendorData()})
		}
	}
	return files, nil
}

// ec2JSON drops the listing names ("_name") from a tree, as Nova does
// before writing meta-data.json.
func ec2JSON(node any) any {
	m, ok := node.(map[string]any)
	if !ok {
		return node
	}
	out := map[string]any{}
	for k, v := range m {
		if k != "_name" {
			out[k] = ec2JSON(v)
		}
	}
	return out
}

// ConfigDrive writes the server's config drive (ISO 9660 with Joliet
// names, label config-2) to w.
func (in *Instance) ConfigDrive(w io.Writer) error {
	files, err := in.ConfigDriveFiles()
	if err != nil {
		return err
	}
	return iso9660.Write(w, iso9660.Options{VolumeID: ConfigDriveLabel, Time: time.Now()}, files)
}
