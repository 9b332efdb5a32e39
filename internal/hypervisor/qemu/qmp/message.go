package qmp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

type kind int

const (
	kindGreeting kind = iota + 1
	kindReturn
	kindError
	kindEvent
)

func (k kind) String() string {
	switch k {
	case kindGreeting:
		return "greeting"
	case kindReturn:
		return "return"
	case kindError:
		return "error"
	case kindEvent:
		return "event"
	}
	return "unknown message"
}

// message is one decoded line from QEMU.
type message struct {
	kind    kind
	id      string // of a return or error; "" when QEMU sent none
	ret     json.RawMessage
	err     *Error
	event   Event
	version Version
}

// wireMessage is every field a server message may carry.
type wireMessage struct {
	QMP *struct {
		Version struct {
			Qemu struct {
				Major int `json:"major"`
				Minor int `json:"minor"`
				Micro int `json:"micro"`
			} `json:"qemu"`
			Package string `json:"package"`
		} `json:"version"`
	} `json:"QMP"`
	Return    json.RawMessage `json:"return"`
	Error     *Error          `json:"error"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	Timestamp *struct {
		Seconds      int64 `json:"seconds"`
		Microseconds int64 `json:"microseconds"`
	} `json:"timestamp"`
	ID json.RawMessage `json:"id"`
}

// decode parses one line sent by QEMU. It accepts exactly one JSON object
// that is a greeting, a reply or an event; anything else is an error,
// which ends the connection (a peer that breaks the protocol once cannot
// be trusted to be in step afterwards).
func decode(line []byte) (message, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return message{}, errors.New("qmp: message is not a JSON object")
	}
	var w wireMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&w); err != nil {
		return message{}, fmt.Errorf("qmp: bad message: %w", err)
	}
	if dec.More() {
		return message{}, errors.New("qmp: trailing data after a message")
	}
	var m message
	n := 0
	if w.QMP != nil {
		n++
		v := w.QMP.Version
		m.kind = kindGreeting
		m.version = Version{Major: v.Qemu.Major, Minor: v.Qemu.Minor, Micro: v.Qemu.Micro, Package: v.Package}
	}
	if w.Return != nil {
		n++
		m.kind, m.ret = kindReturn, w.Return
	}
	if w.Error != nil {
		n++
		m.kind, m.err = kindError, w.Error
	}
	if w.Event != "" {
		n++
		m.kind = kindEvent
		m.event = Event{Name: w.Event, Data: w.Data}
		if ts := w.Timestamp; ts != nil && ts.Seconds >= 0 && ts.Microseconds >= 0 && ts.Microseconds < 1e6 {
			m.event.Time = time.Unix(ts.Seconds, ts.Microseconds*1000)
		}
	}
	if n != 1 {
		return message{}, fmt.Errorf("qmp: message is %d of greeting, return, error and event", n)
	}
	if len(w.ID) > 0 && (m.kind == kindReturn || m.kind == kindError) {
		// The client sends string ids; QEMU copies them verbatim.
		var id string
		if err := json.Unmarshal(w.ID, &id); err != nil {
			return message{}, errors.New("qmp: reply id is not a string")
		}
		m.id = id
	}
	return m, nil
}

// Subscription receives the events whose names it was made for.
type Subscription struct {
	c      *Client
	names  map[string]bool
	ch     chan Event
	closed chan struct{}
}

// subBuffer is how many events a subscriber may fall behind by; past it
// events to that subscriber are dropped (and the drop is visible as a
// missed event, never as a blocked connection).
const subBuffer = 64

// Subscribe returns a subscription to the events named (all when none).
// Subscribe before running the command whose events you wait for.
func (c *Client) Subscribe(names ...string) *Subscription {
	s := &Subscription{c: c, ch: make(chan Event, subBuffer), closed: make(chan struct{})}
	if len(names) > 0 {
		s.names = map[string]bool{}
		for _, n := range names {
			s.names[n] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs == nil { // connection already ended
		close(s.closed)
		return s
	}
	c.subs[s] = struct{}{}
	return s
}

// Events delivers the subscribed events; it is never closed (select on
// Closed too).
func (s *Subscription) Events() <-chan Event { return s.ch }

// Closed is closed when the connection has ended or Cancel was called.
func (s *Subscription) Closed() <-chan struct{} { return s.closed }

// Cancel ends the subscription.
func (s *Subscription) Cancel() {
	s.c.mu.Lock()
	_, ok := s.c.subs[s]
	delete(s.c.subs, s)
	s.c.mu.Unlock()
	if ok {
		s.close()
	}
}

func (s *Subscription) close() { close(s.closed) }

// Wait returns the next subscribed event for which match (nil: any)
// is true.
func (s *Subscription) Wait(ctx context.Context, match func(Event) bool) (Event, error) {
	for {
		select {
		case ev := <-s.ch:
			if match == nil || match(ev) {
				return ev, nil
			}
		case <-s.closed:
			// Deliver what arrived before the end first.
			select {
			case ev := <-s.ch:
				if match == nil || match(ev) {
					return ev, nil
				}
				continue
			default:
			}
			return Event{}, ErrClosed
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

func (c *Client) publish(ev Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.subs {
		if s.names != nil && !s.names[ev.Name] {
			continue
		}
		select {
		case s.ch <- ev:
		default:
		}
	}
}
