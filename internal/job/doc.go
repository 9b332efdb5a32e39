// Package job is the durable job engine: long work (image imports and
// exports, conversions, server snapshots, volume copies) runs as rows in
// the store, with progress, cancellation, crash recovery and, with several
// nodes on one PostgreSQL, exactly one node running each job.
//
// # Using it from a service
//
// A service registers each kind it runs once, at start-up, before
// Engine.Start:
//
//	eng.Register(job.Kind{
//		Name:      "image.import",      // dotted, append-only: never renamed or reused
//		Handler:   s.runImport,         // func(ctx context.Context, r *job.Run) error
//		Resumable: true,                // an interrupted job runs again (from its checkpoint)
//		OnFail:    s.importFailed,      // func(ctx, tx *sql.Tx, j *job.Job) error
//	})
//
// It submits a job in the same transaction that creates the resource in
// its transitional state, so that either both exist or neither does:
//
//	err := db.Tx(ctx, func(tx *sql.Tx) error {
//		if err := insertThing(ctx, tx, thing); err != nil { // status "importing"
//			return err
//		}
//		id, err = eng.Submit(ctx, tx, job.Spec{Kind: "image.import",
//			Project: p.ProjectID, User: p.UserID,
//			ResourceType: "image", ResourceID: thing.ID, Input: req})
//		return err
//	})
//
// The job starts when a worker is free (Options.Workers on this node, at
// most Options.PerProject of one project at a time). Its handler gets a
// *Run:
//
//	func (s *Service) runImport(ctx context.Context, r *job.Run) error {
//		var in importInput
//		if err := r.Input(&in); err != nil { return err }
//		var cp importCheckpoint
//		r.LoadCheckpoint(&cp)            // false on a first attempt
//		... r.Progress(done, total)      // cheap; written at most a few times a second
//		... r.Checkpoint(cp)             // durable at once; for resumable kinds
//		return r.Finish(ctx, result, func(tx *sql.Tx) error {
//			return s.images.PublishDataTx(ctx, tx, ...) // resource active, job succeeded: one transaction
//		})
//	}
//
// ctx is cancelled when the job is cancelled (Engine.Cancel, from any
// node), when its Kind.Deadline passes, when this node loses the lease, and
// when the node shuts down. A handler must stop promptly then and leave no
// visible partial output (write to temp blobs; commit only in Finish).
//
// The outcome:
//
//   - nil: the job succeeded (Finish marks it so in the caller's
//     transaction; a handler that returns nil without Finish succeeds with
//     the result given to SetResult).
//   - an error carrying a *fault.Error: the job failed with that public
//     Message and vendor Code ("SHA1 checksum of the image does not match").
//   - any other error, or a panic: the job failed with Kind.FailMessage
//     (default "Internal error.") and the cause is logged, never shown.
//   - after Engine.Cancel: the job is cancelled.
//
// In the same transaction that marks a job failed or cancelled, the
// engine calls Kind.OnFail, which moves the resource to its error state
// (image killed or back to queued, volume error, ...). OnFail must be
// idempotent and must not fail because the resource is gone.
//
// # States
//
//	queued → running → succeeded | failed
//	queued | running → cancelling → cancelled (a queued job is cancelled at once)
//
// Progress is 0–100 (99 at most until the job succeeds) with the bytes
// done and total. A finished job is kept Options.Retention (7 days) and
// then deleted: its status is 404 from then on.
//
// # Crash recovery and several nodes
//
// A running job holds a lease (Options.Lease, 30 s) that its node renews.
// When a node starts, the jobs it was running when it stopped are
// recovered at once; any node recovers a job whose lease has expired (its
// node died). Recovery of a Resumable kind queues the job again (its
// handler sees Attempt() > 1 and its last checkpoint) until MaxAttempts;
// otherwise, or past MaxAttempts, the job fails with
// Kind.InterruptedMessage and OnFail runs. Jobs are claimed with a
// compare-and-set UPDATE on the row, so one node runs each job, on SQLite
// and PostgreSQL alike. With Options.PinJobs (set by the server when blobs
// are node-local) or Spec.Node, a job runs only on its node; another node
// that finds such a job's lease expired fails it instead of resuming it.
//
// # Publishing rule
//
// A job that makes a resource usable writes its bytes to a temp blob,
// fsyncs them (blob.Writer.Commit), verifies the checksum, and only then
// sets the resource active, in the one transaction of Run.Finish. A crash
// at any point before leaves no usable resource.
//
// # Kinds
//
// Kind names are dotted strings, append-only. In use: image.import (K5
// vmimport), image.export (K5 vmexport), image.scpImport (SCP import),
// image.glanceImport (Glance interoperable import), volume.create,
// snapshot.create, volume.restore and volume.uploadImage (block storage).
// Reserved: server.createImage, volume.copy.
package job
