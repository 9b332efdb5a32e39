package qemu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/qemu/qmp"
)

// SnapshotSource copies the server's root disk, as it is at this instant,
// to a qcow2 image (no backing file) through QEMU's block layer (QMP blockdev-backup with
// sync=full: copy-before-write keeps the point in time while the guest
// keeps running and writing). A server without a running QEMU is copied
// by a QEMU started for that alone (-machine none, the disk read-only).
// Runs of zeros cost nothing in the copy (qcow2 clusters never written). The copy is crash-consistent, as
// Nova's live snapshot without a guest agent.
func (d *Driver) SnapshotSource(ctx context.Context, id string) (*hypervisor.Snapshot, error) {
	s, err := d.get(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	size := s.st.RootBytes
	pr := s.proc
	var helper *process
	if pr == nil || !pr.alive() {
		helper, err = d.startCopier(ctx, s)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		defer helper.quit(context.WithoutCancel(ctx))
		pr = helper
	}
	// The copy runs without the server's lock, so that its metadata and
	// console stay served meanwhile (the compute service makes no other
	// call for this server until it returns).
	s.mu.Unlock()

	tag := randHex(6)
	tmp := filepath.Join(s.dir(), "snapshot-"+tag+".qcow2")
	err = CreateEmpty(tmp, size)
	if err == nil {
		// Not fsynced: the copy is a temporary file (a crash discards it)
		// that is read at once; what is kept is the conversion's output.
		err = backup(ctx, pr.qmp, "snap-"+tag, tmp)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("qemu driver: snapshot of %s: %w", id, err)
	}
	return &hypervisor.Snapshot{Path: tmp, Format: "qcow2", Release: func() error { return os.Remove(tmp) }}, nil
}

// startCopier starts a QEMU with no machine that only opens the server's
// disk read-only; s.mu held (so the server cannot start meanwhile).
func (d *Driver) startCopier(ctx context.Context, s *server) (*process, error) {
	p := Paths{QMP: filepath.Join(d.runDir, s.id+".copy.qmp"), PID: filepath.Join(s.dir(), "copier.pid")}
	args := []string{"-name", "guest=" + s.id + "-copy,process=stratus-copy", "-machine", "none", "-nodefaults",
		"-no-user-config", "-display", "none", "-qmp", "unix:" + qemuOpt(p.QMP) + ",server=on,wait=off", "-pidfile", p.PID,
		"-blockdev", "driver=" + rootFormat(s.st.Machine.RootFormat) + ",node-name=root,read-only=on,file.driver=file,file.filename=" +
			qemuOpt(s.st.Machine.Disk)}
	pr, err := startProcess(ctx, d.bin, args, s.id+"-copy", p, filepath.Join(s.dir(), "qemu.log"))
	if err != nil {
		return nil, err
	}
	pr.stopping.Store(true)
	return pr, nil
}

// backup copies node "root" into the empty qcow2 image dst (opened as
// node name), and waits for the job.
func backup(ctx context.Context, c *qmp.Client, name, dst string) (err error) {
	bg := context.WithoutCancel(ctx)
	sub := c.Subscribe("BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED", "BLOCK_JOB_ERROR")
	defer sub.Cancel()
	target := map[string]any{"driver": "qcow2", "node-name": name, "discard": "unmap",
		"file": map[string]any{"driver": "file", "filename": dst}}

	if err := c.Execute(ctx, "blockdev-add", target, nil); err != nil {
		return err
	}
	defer c.Execute(bg, "blockdev-del", map[string]any{"node-name": name}, nil)
	job := map[string]any{"job-id": name, "device": "root", "target": name, "sync": "full"}

	if err := c.Execute(ctx, "blockdev-backup", job, nil); err != nil {
		return err
	}
	for {
		ev, err := sub.Wait(ctx, func(ev qmp.Event) bool {
			var d struct {
				Device string `json:"device"`
			}
			return json.Unmarshal(ev.Data, &d) == nil && d.Device == name
		})
		if err != nil {
			if ctx.Err() != nil {
				c.Execute(bg, "block-job-cancel", map[string]any{"device": name, "force": true}, nil)
				sub.Wait(bg, nil) // its end, before the node goes
			}
			return err
		}
		var d struct {
			Error  string `json:"error"`
			Action string `json:"action"`
		}
		json.Unmarshal(ev.Data, &d)
		switch ev.Name {
		case "BLOCK_JOB_COMPLETED":
			if d.Error != "" {
				return fmt.Errorf("backup job: %s", d.Error)
			}
			return nil
		case "BLOCK_JOB_CANCELLED":
			return fmt.Errorf("backup job cancelled")
		case "BLOCK_JOB_ERROR":
			if d.Action == "report" {
				// COMPLETED with the error follows.
				continue
			}
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
