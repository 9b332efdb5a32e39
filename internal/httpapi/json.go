package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// DecodeJSON decodes the request body into v. A body that is empty, not
// JSON, or followed by trailing data is the dialect's 400; one over the
// route's limit is 413.
func DecodeJSON(r *http.Request, v any) error {
	d := DialectFrom(r.Context())
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil && mt != "application/json" && !isJSONish(mt) {
			return fault.New(fault.UnsupportedMediaType, "Unsupported Content-Type")
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fault.Invalidf("%s", d.MalformedBody()).WithCause(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fault.Invalidf("%s", d.MalformedBody()).WithCause(errors.New("trailing data after JSON value"))
	}
	return nil
}

func isJSONish(mt string) bool {
	// Glance's PATCH media types and "+json" suffixes are JSON too.
	return len(mt) > 5 && mt[len(mt)-5:] == "+json" || mt == "application/openstack-images-v2.1-json-patch" ||
		mt == "application/openstack-images-v2.0-json-patch" || mt == "text/plain"
}

// MarshalJSON encodes v as the Python services do: "<", ">" and "&" stay
// as they are (encoding/json would write \u003c...).
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := MarshalJSON(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}
