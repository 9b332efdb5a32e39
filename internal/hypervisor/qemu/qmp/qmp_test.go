package qmp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const greeting = `{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}`

// fakeQEMU serves one QMP connection on a unix socket with script, which
// gets each command the client sends (after negotiation) and a writer.
type fakeQEMU struct {
	path string
	ln   net.Listener
}

type request struct {
	Execute   string          `json:"execute"`
	Arguments json.RawMessage `json:"arguments"`
	ID        string          `json:"id"`
}

func startFake(t *testing.T, negotiate bool, script func(req request, send func(string)) bool) *fakeQEMU {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qmp.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		send := func(s string) { conn.Write([]byte(s + "\r\n")) }
		send(greeting)
		sc := bufio.NewScanner(conn)
		if negotiate {
			if !sc.Scan() || !strings.Contains(sc.Text(), "qmp_capabilities") {
				return
			}
			send(`{"return": {}}`)
		}
		for sc.Scan() {
			var req request
			if json.Unmarshal(sc.Bytes(), &req) != nil {
				return
			}
			if !script(req, send) {
				return
			}
		}
	}()
	return &fakeQEMU{path: path, ln: ln}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestExecuteReturnErrorAndEvents(t *testing.T) {
	f := startFake(t, true, func(req request, send func(string)) bool {
		switch req.Execute {
		case "query-status":
			// An event may come before the reply it relates to.
			send(`{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "RESUME"}`)
			send(`{"return": {"status": "running", "running": true}, "id": "` + req.ID + `"}`)
		case "stop":
			send(`{"error": {"class": "GenericError", "desc": "no"}, "id": "` + req.ID + `"}`)
		}
		return true
	})
	c, err := Dial(ctxT(t, 5*time.Second), f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v := c.Version(); v.Major != 7 || v.Minor != 2 || v.Micro != 22 {
		t.Fatalf("version %v", v)
	}
	sub := c.Subscribe("RESUME")
	var st struct {
		Status  string `json:"status"`
		Running bool   `json:"running"`
	}
	if err := c.Execute(ctxT(t, 5*time.Second), "query-status", nil, &st); err != nil {
		t.Fatal(err)
	}
	if st.Status != "running" || !st.Running {
		t.Fatalf("status %+v", st)
	}
	ev, err := sub.Wait(ctxT(t, 5*time.Second), nil)
	if err != nil || ev.Name != "RESUME" || ev.Time.Unix() != 1700000000 {
		t.Fatalf("event %+v %v", ev, err)
	}
	err = c.Execute(ctxT(t, 5*time.Second), "stop", nil, nil)
	var qe *Error
	if !errors.As(err, &qe) || qe.Class != "GenericError" || qe.Desc != "no" {
		t.Fatalf("want a QMP error, got %v", err)
	}
}

func TestConcurrentRepliesMatchedByID(t *testing.T) {
	// The fake answers the second command before the first.
	held := make(chan request, 1)
	f := startFake(t, true, func(req request, send func(string)) bool {
		if req.Execute == "first" {
			held <- req
			return true
		}
		send(`{"return": "second", "id": "` + req.ID + `"}`)
		first := <-held
		send(`{"return": "first", "id": "` + first.ID + `"}`)
		return true
	})
	c, err := Dial(ctxT(t, 5*time.Second), f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 1)
	go func() {
		var s string
		c.Execute(ctxT(t, 5*time.Second), "first", nil, &s)
		got <- s
	}()
	for len(held) == 0 { // wait until the first command is in flight
		time.Sleep(time.Millisecond)
	}
	var s string
	if err := c.Execute(ctxT(t, 5*time.Second), "second", map[string]int{"a": 1}, &s); err != nil || s != "second" {
		t.Fatalf("second: %q %v", s, err)
	}
	if s := <-got; s != "first" {
		t.Fatalf("first got %q", s)
	}
}

func TestTimeoutAndClose(t *testing.T) {
	f := startFake(t, true, func(req request, send func(string)) bool {
		return req.Execute != "quit" // the fake ignores every command; quit hangs up
	})
	c, err := Dial(ctxT(t, 5*time.Second), f.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Execute(ctx, "query-status", nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	sub := c.Subscribe()
	if err := c.Execute(ctxT(t, 5*time.Second), "quit", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("want ErrClosed when QEMU hangs up, got %v", err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed")
	}
	if _, err := sub.Wait(ctxT(t, 5*time.Second), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscription: %v", err)
	}
	if err := c.Execute(ctxT(t, time.Second), "query-status", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	c.Close()
}

func TestDialFailures(t *testing.T) {
	t.Run("no greeting in time", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s")
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err == nil {
				time.Sleep(2 * time.Second)
				c.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := Dial(ctx, path); err == nil {
			t.Fatal("dial succeeded without a greeting")
		}
	})
	t.Run("negotiation refused", func(t *testing.T) {
		f := startFake(t, false, func(req request, send func(string)) bool {
			send(`{"error": {"class": "CommandNotFound", "desc": "x"}}`)
			return true
		})
		if _, err := Dial(ctxT(t, 5*time.Second), f.path); err == nil {
			t.Fatal("dial succeeded though negotiation failed")
		}
	})
	t.Run("no socket", func(t *testing.T) {
		if _, err := Dial(ctxT(t, time.Second), filepath.Join(t.TempDir(), "none")); err == nil {
			t.Fatal("dial succeeded with no socket")
		}
	})
}

func TestGarbageEndsConnection(t *testing.T) {
	f := startFake(t, true, func(req request, send func(string)) bool {
		send(`{"return": {}, "event": "X", "id": "` + req.ID + `"}`) // two kinds at once
		return true
	})
	c, err := Dial(ctxT(t, 5*time.Second), f.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Execute(ctxT(t, 5*time.Second), "x", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("want ErrClosed, got %v", err)
	}
	if c.Err() == nil {
		t.Fatal("no error recorded")
	}
}

func TestDecode(t *testing.T) {
	cases := []struct {
		in   string
		kind kind
		ok   bool
	}{
		{greeting, kindGreeting, true},
		{`{"return": {}}`, kindReturn, true},
		{`{"return": [], "id": "7"}`, kindReturn, true},
		{`{"error": {"class": "GenericError", "desc": "d"}, "id": "1"}`, kindError, true},
		{`{"event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}, "timestamp": {"seconds": 1, "microseconds": 2}}`, kindEvent, true},
		{`{"return": {}, "id": 7}`, 0, false},
		{`{}`, 0, false},
		{`[]`, 0, false},
		{`{"return": {}} {"return": {}}`, 0, false},
		{`{"return": `, 0, false},
		{``, 0, false},
	}
	for _, c := range cases {
		m, err := decode([]byte(c.in))
		if (err == nil) != c.ok || (c.ok && m.kind != c.kind) {
			t.Errorf("decode(%s) = %v, %v", c.in, m.kind, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{greeting, `{"return": {}, "id": "1"}`,
		`{"error": {"class": "GenericError", "desc": "d"}, "id": "1"}`,
		`{"event": "STOP", "timestamp": {"seconds": -1, "microseconds": 99999999}}`, `{"QMP": null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decode(b)
		if err != nil {
			return
		}
		switch m.kind {
		case kindGreeting, kindReturn, kindEvent:
		case kindError:
			if m.err == nil {
				t.Fatal("error message without an error")
			}
		default:
			t.Fatalf("decoded kind %v", m.kind)
		}
	})
}
