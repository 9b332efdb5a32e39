package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// glanceTime is Glance's timestamp format ("2012-08-10T19:23:50Z").
func glanceTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// imageBody is an image on the Glance v2 wire; extra properties are
// spliced in at the top level by marshalImage.
type imageBody struct {
	ID              string   `json:"id"`
	Name            *string  `json:"name"`
	Status          Status   `json:"status"`
	Visibility      string   `json:"visibility"`
	Protected       bool     `json:"protected"`
	Hidden          bool     `json:"os_hidden"`
	Checksum        *string  `json:"checksum"`
	HashAlgo        *string  `json:"os_hash_algo"`
	HashValue       *string  `json:"os_hash_value"`
	Owner           string   `json:"owner"`
	Size            *int64   `json:"size"`
	VirtualSize     *int64   `json:"virtual_size"`
	MinRAM          int64    `json:"min_ram"`
	MinDisk         int64    `json:"min_disk"`
	DiskFormat      *string  `json:"disk_format"`
	ContainerFormat *string  `json:"container_format"`
	CreatedAt       string   `json:"created_at"`
	UpdatedAt       string   `json:"updated_at"`
	Tags            []string `json:"tags"`
	Self            string   `json:"self"`
	File            string   `json:"file"`
	Schema          string   `json:"schema"`
}

// appendImage appends im's JSON to buf.
func appendImage(buf *bytes.Buffer, im *Image) error {
	tags := im.Tags
	if tags == nil {
		tags = []string{}
	}
	b, err := json.Marshal(imageBody{
		ID: im.ID, Name: im.Name, Status: im.Status, Visibility: im.Visibility, Protected: im.Protected,
		Hidden: im.Hidden, Checksum: im.Checksum, HashAlgo: im.HashAlgo, HashValue: im.HashValue, Owner: im.Owner,
		Size: im.Size, VirtualSize: im.VirtualSize, MinRAM: im.MinRAM, MinDisk: im.MinDisk,
		DiskFormat: im.DiskFormat, ContainerFormat: im.ContainerFormat,
		CreatedAt: glanceTime(im.CreatedAt), UpdatedAt: glanceTime(im.UpdatedAt), Tags: tags,
		Self: "/v2/images/" + im.ID, File: "/v2/images/" + im.ID + "/file", Schema: "/v2/schemas/image",
	})
	if err != nil {
		return err
	}
	if len(im.Properties) == 0 {
		buf.Write(b)
		return nil
	}
	buf.Write(b[:len(b)-1])
	keys := make([]string, 0, len(im.Properties))
	for k := range im.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(im.Properties[k])
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return nil
}

// fieldsFromWire decodes a create request: base attributes, and every
// other key as an extra property (which must be a string).
func fieldsFromWire(raw map[string]json.RawMessage, isAdmin bool) (Fields, error) {
	var f Fields
	f.Properties = map[string]string{}
	str := func(k string, v json.RawMessage) (*string, error) {
		if string(v) == "null" {
			return nil, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, schemaErr("image", fmt.Sprintf("%s is not of type 'string'", v))
		}
		return &s, nil
	}
	num := func(v json.RawMessage) (*int64, error) {
		var n int64
		if err := json.Unmarshal(v, &n); err != nil {
			return nil, schemaErr("image", fmt.Sprintf("%s is not of type 'integer'", v))
		}
		return &n, nil
	}
	boolean := func(v json.RawMessage) (*bool, error) {
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return nil, schemaErr("image", fmt.Sprintf("%s is not of type 'boolean'", v))
		}
		return &b, nil
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := raw[k]
		if k == "id" {
			s, err := str(k, v)
			if err != nil || s == nil {
				return f, schemaErr("image", fmt.Sprintf("%s is not of type 'string'", v))
			}
			f.ID = *s
			continue
		}
		if err := checkWritable(k, isAdmin); err != nil {
			return f, err
		}
		var err error
		switch k {
		case "name":
			f.Name, err = str(k, v)
		case "disk_format":
			f.DiskFormat, err = str(k, v)
		case "container_format":
			f.ContainerFormat, err = str(k, v)
		case "visibility":
			f.Visibility, err = str(k, v)
			if err == nil && f.Visibility == nil {
				err = schemaErr("image", "None is not of type 'string'")
			}
		case "owner":
			f.Owner, err = str(k, v)
		case "protected":
			f.Protected, err = boolean(v)
		case "os_hidden":
			f.Hidden, err = boolean(v)
		case "min_ram":
			f.MinRAM, err = num(v)
		case "min_disk":
			f.MinDisk, err = num(v)
		case "tags":
			if e := json.Unmarshal(v, &f.Tags); e != nil {
				err = schemaErr("image", fmt.Sprintf("%s is not of type 'array'", v))
			}
		default:
			var s *string
			s, err = str(k, v)
			if err == nil && s == nil {
				err = schemaErr("image", "None is not of type 'string'")
			}
			if err == nil {
				f.Properties[k] = *s
			}
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

// memberBody is an image member on the wire.
type memberBody struct {
	CreatedAt string `json:"created_at"`
	ImageID   string `json:"image_id"`
	MemberID  string `json:"member_id"`
	Schema    string `json:"schema"`
	Status    string `json:"status"`
	UpdatedAt string `json:"updated_at"`
}

func memberToWire(m *Member) memberBody {
	return memberBody{CreatedAt: glanceTime(m.CreatedAt), ImageID: m.ImageID, MemberID: m.Member,
		Schema: "/v2/schemas/member", Status: m.Status, UpdatedAt: glanceTime(m.UpdatedAt)}
}
