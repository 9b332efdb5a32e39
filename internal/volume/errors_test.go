package volume

import (
	"context"
	"testing"
)

// TestErrors sends each documented failure once: Cinder's status, fault
// name and message, and nothing changed.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	avail := e.createVolume("alice", map[string]any{"size": 1})["id"].(string)
	missing := "11111111-2222-3333-4444-555555555555"
	vol := func(body map[string]any) map[string]any { return map[string]any{"volume": body} }
	action := func(name string, body any) map[string]any { return map[string]any{name: body} }
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		code                      int
		fault, msg                string
	}{
		{"no token", "GET", "volumes", "", nil, 401, "unauthorized", "The request you have made requires authentication."},
		{"reader writes", "POST", "volumes", "reader", vol(map[string]any{"size": 1}), 403, "forbidden", ""},
		{"member creates a type", "POST", "types", "alice", map[string]any{"volume_type": map[string]any{"name": "x"}}, 403, "forbidden", ""},
		{"no body key", "POST", "volumes", "alice", map[string]any{"size": 1}, 400, "badRequest", "'volume' is a required property"},
		{"malformed", "POST", "volumes", "alice", "{", 400, "badRequest", "Malformed request body"},
		{"size 0", "POST", "volumes", "alice", vol(map[string]any{"size": 0}), 400, "badRequest",
			"Invalid input for field/attribute volume/size. Value: 0. 0 is less than the minimum of 1"},
		{"size text", "POST", "volumes", "alice", vol(map[string]any{"size": "abc"}), 400, "badRequest",
			"Invalid input for field/attribute volume/size. Value: abc. 'abc' does not match '^[0-9]+$'"},
		{"size missing", "POST", "volumes", "alice", vol(map[string]any{"name": "x"}), 400, "badRequest",
			"Invalid input received: Volume size 'None' must be an integer and greater than 0"},
		{"unknown type", "POST", "volumes", "alice", vol(map[string]any{"size": 1, "volume_type": "nope"}), 404, "itemNotFound",
			"Volume type nope could not be found."},
		{"unknown snapshot", "POST", "volumes", "alice", vol(map[string]any{"snapshot_id": missing}), 404, "itemNotFound",
			"Snapshot " + missing + " could not be found."},
		{"unknown source", "POST", "volumes", "alice", vol(map[string]any{"source_volid": missing}), 404, "itemNotFound",
			"Volume " + missing + " could not be found."},
		{"smaller than source", "POST", "volumes", "alice", vol(map[string]any{"source_volid": avail, "size": 1}), 202, "", ""},
		{"bad zone", "POST", "volumes", "alice", vol(map[string]any{"size": 1, "availability_zone": "jp-east-1z"}), 400, "badRequest",
			"Availability zone 'jp-east-1z' is invalid."},
		{"show missing", "GET", "volumes/" + missing, "alice", nil, 404, "itemNotFound", "Volume " + missing + " could not be found."},
		{"delete missing", "DELETE", "volumes/" + missing, "alice", nil, 404, "itemNotFound", ""},
		{"extend missing size", "POST", "volumes/" + avail + "/action", "alice", action("os-extend", map[string]any{}), 400, "badRequest", ""},
		{"extend null", "POST", "volumes/" + avail + "/action", "alice", action("os-extend", map[string]any{"new_size": nil}), 400, "badRequest", ""},
		{"extend text", "POST", "volumes/" + avail + "/action", "alice", action("os-extend", map[string]any{"new_size": "big"}), 400, "badRequest", ""},
		{"unknown action", "POST", "volumes/" + avail + "/action", "alice", action("os-frobnicate", map[string]any{}), 400, "badRequest",
			"There is no such action: os-frobnicate"},
		{"reset status as member", "POST", "volumes/" + avail + "/action", "alice", action("os-reset_status", map[string]any{"status": "error"}), 403, "forbidden", ""},
		{"upload without name", "POST", "volumes/" + avail + "/action", "alice", action("os-volume_upload_image", map[string]any{}), 400, "badRequest",
			"Invalid input for field/attribute os-volume_upload_image. Value: {}. 'image_name' is a required property"},
		{"upload vhd", "POST", "volumes/" + avail + "/action", "alice", action("os-volume_upload_image", map[string]any{"image_name": "i", "disk_format": "vhd"}), 400, "badRequest", ""},
		{"snapshot without volume", "POST", "snapshots", "alice", map[string]any{"snapshot": map[string]any{"name": "s"}}, 400, "badRequest", ""},
		{"snapshot of missing volume", "POST", "snapshots", "alice", map[string]any{"snapshot": map[string]any{"volume_id": missing}}, 404, "itemNotFound", ""},
		{"restore missing snapshot", "POST", "snapshots/" + missing + "/action", "alice", action("fcx-restore", map[string]any{}), 404, "itemNotFound", ""},
		{"bad sort key", "GET", "volumes?sort=color:asc", "alice", nil, 400, "badRequest", "Invalid input received: Invalid sort key"},
		{"bad sort dir", "GET", "snapshots?sort_dir=up", "alice", nil, 400, "badRequest", "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'."},
		{"bad limit", "GET", "snapshots?limit=-1", "alice", nil, 400, "badRequest", "limit param must be positive"},
		{"unknown marker", "GET", "snapshots?marker=" + missing, "alice", nil, 404, "itemNotFound", ""},
		{"other project's volume", "GET", "volumes/" + avail, "bob", nil, 404, "itemNotFound", ""},
		{"metadata item missing", "GET", "volumes/" + avail + "/metadata/nope", "alice", nil, 404, "itemNotFound", "Metadata item was not found"},
		{"metadata mismatch", "PUT", "volumes/" + avail + "/metadata/a", "alice", map[string]any{"meta": map[string]string{"b": "1"}}, 400, "badRequest",
			"Request body and URI mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, h: e.h}
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if tc.fault == "" {
				e.must(r, tc.code)
				return
			}
			e.fault(r, tc.code, tc.fault, tc.msg)
		})
	}
	if v := e.must(e.do("GET", "volumes/"+avail, "alice", nil), 200).JSON(t)["volume"].(map[string]any); v["status"] != "available" || v["size"] != float64(1) {
		t.Fatalf("a refused request changed the volume: %v", v)
	}
}

func TestStateErrors(t *testing.T) {
	e := newEnv(t)
	id := e.createVolume("alice", map[string]any{"size": 1})["id"].(string)
	act := func(name string, body any) resp {
		return e.do("POST", "volumes/"+id+"/action", "alice", map[string]any{name: body})
	}
	// Attached: delete, extend, upload without force and snapshot without
	// force are refused; os-attach again too.
	e.must(act("os-reserve", map[string]any{}), 202)
	e.fault(act("os-reserve", map[string]any{}), 400, "badRequest", "Invalid volume: Volume status must be available to reserve, but the status is attaching.")
	server := "99999999-8888-7777-6666-555555555555"
	e.must(act("os-attach", map[string]any{"instance_uuid": server, "mountpoint": "/dev/vdb"}), 202)
	v := e.waitVolume("alice", id, "in-use")
	att := v["attachments"].([]any)[0].(map[string]any)
	if att["server_id"] != server || att["device"] != "/dev/vdb" || att["volume_id"] != id || v["metadata"].(map[string]any)["attached_mode"] != "rw" {
		t.Fatalf("attachment view %v", v)
	}
	e.fault(act("os-attach", map[string]any{"instance_uuid": server, "mountpoint": "/dev/vdc"}), 400, "badRequest",
		"Invalid volume: volume is already attached and multiple attachments are not enabled")
	e.fault(e.do("DELETE", "volumes/"+id, "alice", nil), 400, "badRequest", "Invalid volume: Volume status must be available or error or "+
		"error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, "+
		"awaiting a transfer, or be disassociated from snapshots after volume transfer.")
	e.fault(act("os-extend", map[string]any{"new_size": 2}), 400, "badRequest",
		"Invalid volume: Volume "+id+" status must be '{'status': 'available'}' to extend, currently in-use.")
	e.fault(act("os-volume_upload_image", map[string]any{"image_name": "x"}), 400, "badRequest", "Invalid volume: Volume "+id+" status must be available")
	e.fault(e.do("POST", "snapshots", "alice", map[string]any{"snapshot": map[string]any{"volume_id": id}}), 400, "badRequest",
		"Invalid volume: Volume "+id+" status must be available, but current status is: in-use.")
	sid := e.must(e.do("POST", "snapshots", "alice", map[string]any{"snapshot": map[string]any{"volume_id": id, "force": true}}), 202).JSON(t)["snapshot"].(map[string]any)["id"].(string)
	e.waitSnapshot("alice", sid, "available")
	e.fault(e.do("POST", "snapshots/"+sid+"/action", "alice", map[string]any{"fcx-restore": map[string]any{}}), 400, "badRequest", "")
	// Detach: begin, roll back, begin, detach.
	e.must(act("os-begin_detaching", map[string]any{}), 202)
	e.waitVolume("alice", id, "detaching")
	e.must(act("os-roll_detaching", map[string]any{}), 202)
	e.waitVolume("alice", id, "in-use")
	e.must(act("os-detach", map[string]any{}), 202)
	if v := e.waitVolume("alice", id, "available"); len(v["attachments"].([]any)) != 0 {
		t.Fatalf("attachments after detach: %v", v["attachments"])
	}
	e.fault(act("os-begin_detaching", map[string]any{}), 400, "badRequest", "")
	// Readonly: an rw attach of a readonly volume is refused.
	e.must(act("os-update_readonly_flag", map[string]any{"readonly": true}), 202)
	e.fault(act("os-attach", map[string]any{"instance_uuid": server, "mountpoint": "/dev/vdb"}), 400, "badRequest",
		"Invalid attaching mode 'rw' for volume "+id+".")
	// Admin reset to error; then delete works; a snapshot in error can go.
	e.must(e.do("POST", "volumes/"+id+"/action", "admin", map[string]any{"os-reset_status": map[string]any{"status": "error"}}), 202)
	e.waitVolume("alice", id, "error")
	e.fault(e.do("POST", "volumes/"+id+"/action", "admin", map[string]any{"os-reset_status": map[string]any{"status": "bogus"}}), 400, "badRequest", "")
	e.must(e.do("DELETE", "volumes/"+id+"?cascade=true", "alice", nil), 202)
	e.fault(e.do("GET", "snapshots/"+sid, "alice", nil), 404, "itemNotFound", "")
}

// TestQuotas: limits are enforced from the rows, quota sets read and set.
func TestQuotas(t *testing.T) {
	e := newEnv(t)
	e.must(e.do("PUT", "os-quota-sets/"+projAlice, "admin", map[string]any{"quota_set": map[string]any{"volumes": 1, "gigabytes": 3}}), 200)
	q := e.must(e.do("GET", "os-quota-sets/"+projAlice+"?usage=true", "alice", nil), 200).JSON(t)["quota_set"].(map[string]any)
	if q["volumes"].(map[string]any)["limit"] != float64(1) || q["id"] != projAlice {
		t.Fatalf("quota usage %v", q)
	}
	e.fault(e.do("GET", "os-quota-sets/"+projBob, "alice", nil), 403, "forbidden", "")
	id := e.createVolume("alice", map[string]any{"size": 1})["id"].(string)
	e.fault(e.do("POST", "volumes", "alice", map[string]any{"volume": map[string]any{"size": 1}}), 413, "overLimit",
		"Maximum number of volumes allowed (1) exceeded for quota 'volumes'.")
	e.fault(e.do("POST", "volumes/"+id+"/action", "alice", map[string]any{"os-extend": map[string]any{"new_size": 4}}), 413, "overLimit",
		"Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 3G and 1G has been consumed.")
	e.fault(e.do("PUT", "os-quota-sets/"+projAlice, "admin", map[string]any{"quota_set": map[string]any{"volumes": 0}}), 400, "badRequest",
		"Quota volumes limit must be equal or greater than existing resources. Current usage is 1 and the requested limit is 0.")
	e.fault(e.do("PUT", "os-quota-sets/"+projAlice, "admin", map[string]any{"quota_set": map[string]any{"bogus": 1}}), 400, "badRequest",
		"Invalid input received: Bad key(s) in quota set: bogus")
	l := e.must(e.do("GET", "limits", "alice", nil), 200).JSON(t)["limits"].(map[string]any)["absolute"].(map[string]any)
	if l["maxTotalVolumes"] != float64(1) || l["totalVolumesUsed"] != float64(1) || l["totalGigabytesUsed"] != float64(1) {
		t.Fatalf("limits %v", l)
	}
	e.must(e.do("DELETE", "os-quota-sets/"+projAlice, "admin", nil), 200)
	e.createVolume("alice", map[string]any{"size": 1})
	d := e.must(e.do("GET", "os-quota-sets/"+projAlice+"/defaults", "alice", nil), 200).JSON(t)["quota_set"].(map[string]any)
	if d["volumes"] != float64(10) || d["volumes___DEFAULT__"] != float64(-1) {
		t.Fatalf("defaults %v", d)
	}
}

// TestFailedJobLeavesError: a create whose source vanished ends in error,
// never available, and its file is not left behind.
func TestFailedJobLeavesError(t *testing.T) {
	e := newEnv(t)
	img := e.makeImage("alice", "raw", make([]byte, 1<<20))
	im, _ := e.images.Image(context.Background(), principals["alice"], img)
	e.blobs.Delete(context.Background(), im.BlobKey) // the bytes are gone before the job runs
	r := e.must(e.do("POST", "volumes", "alice", map[string]any{"volume": map[string]any{"size": 1, "imageRef": img}}), 202)
	id := r.JSON(t)["volume"].(map[string]any)["id"].(string)
	e.waitVolume("alice", id, "error")
	if e.store.Path(volumeKey(id)) != "" {
		if _, err := e.store.Open(context.Background(), volumeKey(id)); err == nil {
			t.Fatal("a failed create left a volume file")
		}
	}
	e.must(e.do("DELETE", "volumes/"+id, "alice", nil), 202)
}

func TestTransfer(t *testing.T) {
	e := newEnv(t)
	id := e.createVolume("alice", map[string]any{"size": 1})["id"].(string)
	tr := e.must(e.do("POST", "os-volume-transfer", "alice", map[string]any{"transfer": map[string]any{"volume_id": id, "name": "t"}}), 202).JSON(t)["transfer"].(map[string]any)
	e.waitVolume("alice", id, "awaiting-transfer")
	tid, key := tr["id"].(string), tr["auth_key"].(string)
	e.fault(e.do("GET", "os-volume-transfer/"+tid, "bob", nil), 404, "itemNotFound", "Transfer "+tid+" could not be found.")
	e.fault(e.do("POST", "os-volume-transfer/"+tid+"/accept", "bob", map[string]any{"accept": map[string]any{"auth_key": "wrong"}}), 400, "badRequest",
		"Invalid auth key: Attempt to transfer "+tid+" with invalid auth key.")
	e.must(e.do("POST", "os-volume-transfer/"+tid+"/accept", "bob", map[string]any{"accept": map[string]any{"auth_key": key}}), 202)
	v := e.waitVolume("bob", id, "available")
	if v["os-vol-tenant-attr:tenant_id"] != projBob || v["user_id"] != "u-bob" {
		t.Fatalf("accepted volume %v", v)
	}
	e.fault(e.do("GET", "volumes/"+id, "alice", nil), 404, "itemNotFound", "")
	// A transfer withdrawn leaves the volume available.
	tid = e.must(e.do("POST", "os-volume-transfer", "bob", map[string]any{"transfer": map[string]any{"volume_id": id}}), 202).JSON(t)["transfer"].(map[string]any)["id"].(string)
	e.must(e.do("DELETE", "os-volume-transfer/"+tid, "bob", nil), 202)
	e.waitVolume("bob", id, "available")
}
