package job

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"time"
)

// State is a job's state.
type State string

const (
	Queued     State = "queued"
	Running    State = "running"
	Succeeded  State = "succeeded"
	Failed     State = "failed"
	Cancelling State = "cancelling"
	Cancelled  State = "cancelled"
)

// Finished reports whether s is final.
func (s State) Finished() bool { return s == Succeeded || s == Failed || s == Cancelled }

// Errors of Engine methods.
var (
	ErrNotFound          = errors.New("job: not found")
	ErrFinished          = errors.New("job: already finished")
	ErrAlreadyCancelling = errors.New("job: already cancelling")
	// ErrLostLease is returned by Run methods once another node has taken
	// the job over (this node was presumed dead) or it was cancelled.
	ErrLostLease = errors.New("job: lease lost")
)

// Handler does a job's work.
type Handler func(ctx context.Context, r *Run) error

// Kind describes one kind of job.
type Kind struct {
	// Name is dotted and append-only ("image.import").
	Name    string
	Handler Handler
	// Resumable kinds run again after an interruption (crash, lost node,
	// shutdown), up to MaxAttempts; others fail with InterruptedMessage.
	Resumable   bool
	MaxAttempts int // default 5
	// InterruptedMessage is the failure message of an interrupted job that
	// will not run again (default "Job was interrupted.").
	InterruptedMessage string
	// FailMessage is the public message of a job whose handler failed with
	// an error that carries no *fault.Error, or panicked (default
	// "Internal error.").
	FailMessage string
	// Deadline, when positive, fails a job still running that long after it
	// started, with DeadlineMessage.
	Deadline        time.Duration
	DeadlineMessage string
	// OnFail moves the job's resource to its error state, in the
	// transaction that marks the job failed or cancelled (j.State says
	// which). It may be nil.
	OnFail func(ctx context.Context, tx *sql.Tx, j *Job) error
}

// Spec is a job to submit.
type Spec struct {
	ID           string // optional; a new UUID when empty
	Kind         string
	Project      string
	User         string
	ResourceType string
	ResourceID   string
	Input        any // stored as JSON
	// Node pins the job to one node ("" for Options.PinJobs' default).
	Node string
}

// Job is a job's row.
type Job struct {
	ID           string
	Kind         string
	Project      string
	User         string
	ResourceType string
	ResourceID   string
	State        State
	Progress     int // 0-100
	BytesDone    int64
	BytesTotal   int64
	Message      string // public; set when failed
	Code         string // vendor code of the failure, if any
	Input        json.RawMessage
	Result       json.RawMessage
	Checkpoint   json.RawMessage
	Attempt      int
	Node         string // "" when any node may run it
	LeaseOwner   string
	LeaseExpires time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	StartedAt    time.Time // zero until first claimed
	FinishedAt   time.Time // zero until finished

	leaseUS int64 // lease_expires as stored, for compare-and-set
}

// DecodeInput unmarshals the job's input into v.
func (j *Job) DecodeInput(v any) error { return json.Unmarshal(j.Input, v) }

// DecodeResult unmarshals the job's result into v; false when it has none.
func (j *Job) DecodeResult(v any) (bool, error) {
	if len(j.Result) == 0 {
		return false, nil
	}
	return true, json.Unmarshal(j.Result, v)
}

var kindRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$`)

// percent is done/total as 0-99 (100 is for succeeded jobs only).
func percent(done, total int64) int {
	if total <= 0 || done <= 0 {
		return 0
	}
	if done >= total {
		return 99
	}
	p := int(done * 100 / total)
	return min(p, 99)
}
