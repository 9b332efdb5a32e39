package httpapi

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Request bodies are read under two bounds, so that a client cannot hold
// a connection (or the memory behind it) for free:
//
//   - a minimum rate: after a grace period a body must have arrived at
//     MinRate bytes per second on average since its first byte was asked
//     for. A large upload that keeps making progress never hits it (its
//     allowance grows with every byte); a client that trickles a byte now
//     and then is cut off once the grace is spent. The bound is a read
//     deadline on the connection, moved forward as bytes arrive.
//   - a size limit for requests without a token: a route that does not
//     stream reads at most AnonymousBodyLimit bytes from an anonymous
//     caller (token issue bodies are far smaller). Streaming routes that
//     serve anonymous callers (Swift temp URLs) authorise before reading.

// BodyPolicy bounds request bodies.
type BodyPolicy struct {
	MinRate int64         // bytes per second; 0 disables the rate bound
	Grace   time.Duration // time every body gets before the rate applies
}

// DefaultBodyPolicy is the bound `stratus serve` uses unless configured.
var DefaultBodyPolicy = BodyPolicy{MinRate: 1024, Grace: 60 * time.Second}

// AnonymousBodyLimit caps the body of a request without a token on a
// route that does not stream.
const AnonymousBodyLimit = 64 << 10

// SetBodyPolicy replaces the body read bounds (DefaultBodyPolicy).
func (m *Mux) SetBodyPolicy(bp BodyPolicy) { m.body = bp }

// msgRequestTimeout is swob's and webob's 408 text.
const msgRequestTimeout = "The server has waited too long for the request to be sent by the client."

// errBodyTimeout is what a body read returns once the rate bound is missed.
func errBodyTimeout(cause error) error {
	return fault.New(fault.Invalid, msgRequestTimeout).WithStatus(http.StatusRequestTimeout).WithCause(cause)
}

// rateBody reads a request body under a BodyPolicy.
type rateBody struct {
	io.ReadCloser
	ctl   *http.ResponseController
	bp    BodyPolicy
	start time.Time
	set   time.Time // the deadline last set
	n     int64
	done  bool
}

// newRateBody sets the first deadline at once: a body the handler never
// reads is still bounded while the server discards it.
func newRateBody(w http.ResponseWriter, body io.ReadCloser, bp BodyPolicy) *rateBody {
	b := &rateBody{ReadCloser: body, ctl: http.NewResponseController(w), bp: bp, start: time.Now()}
	b.set = b.start.Add(bp.Grace)
	b.ctl.SetReadDeadline(b.set)
	return b
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	allowed := b.bp.Grace + time.Duration(float64(b.n)/float64(b.bp.MinRate)*float64(time.Second))
	if d := b.start.Add(allowed); d.Sub(b.set) > time.Second {
		b.ctl.SetReadDeadline(d) // unsupported writers (recorders) just have no bound
		b.set = d
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err != nil {
		// The server reads the connection in the background once the body
		// is done; a deadline left behind would cancel the request.
		b.clear()
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, errBodyTimeout(err)
	}
	return n, err
}

// clear lifts the deadline once the body has ended. (A body left unread
// keeps its deadline: it bounds the server's discarding of the rest.)
func (b *rateBody) clear() {
	if !b.done {
		b.done = true
		b.ctl.SetReadDeadline(time.Time{})
	}
}
