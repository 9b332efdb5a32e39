package identity

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EC2 and S3 request signatures, as keystoneclient's Ec2Signer (versions 0,
// 1, 2 and 4, for /v3/ec2tokens) and Keystone's s3tokens (v1 HMAC-SHA1 and
// v4 over a string to sign the S3 API built). Pure functions of the
// request's description and the secret: the handlers look the secret up
// and compare in constant time.

// ec2Request is the "credentials" object of /v3/ec2tokens.
type ec2Request struct {
	Access    string            `json:"access"`
	Signature string            `json:"signature"`
	Host      string            `json:"host"`
	Verb      string            `json:"verb"`
	Path      string            `json:"path"`
	Params    map[string]any    `json:"params"`
	Headers   map[string]string `json:"headers"`
	BodyHash  string            `json:"body_hash"`
	Token     string            `json:"token"` // s3tokens: the base64 string to sign
}

var errBadSignature = errors.New("identity: unusable signature request")

// pyStr is Python's str() of a decoded JSON value, as the signer sees it.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// awsEscape is Python's urllib.parse.quote(s, safe='-_~'): every byte but
// letters, digits and "_.-~" percent-encoded in upper-case hex.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func canonicalQuery(params map[string]any) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, awsEscape(k)+"="+awsEscape(pyStr(params[k])))
	}
	return strings.Join(pairs, "&")
}

func hmacSum(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

// isV4 reports whether an ec2 request is signed with AWS signature v4.
func (c *ec2Request) isV4() bool {
	if a, ok := c.Headers["Authorization"]; ok {
		return strings.HasPrefix(a, "AWS4-HMAC-SHA256")
	}
	return pyStr(c.Params["X-Amz-Algorithm"]) == "AWS4-HMAC-SHA256"
}

// ec2Signature is Ec2Signer.generate.
func ec2Signature(secret string, c *ec2Request) (string, error) {
	if c.Params == nil {
		c.Params = map[string]any{}
	}
	key := []byte(secret)
	version, hasVersion := c.Params["SignatureVersion"]
	switch v := pyStr(version); {
	case hasVersion && v == "0":
		action, ok1 := c.Params["Action"].(string)
		ts, ok2 := c.Params["Timestamp"].(string)
		if !ok1 || !ok2 {
			return "", errBadSignature
		}
		return base64.StdEncoding.EncodeToString(hmacSum(sha1.New, key, []byte(action+ts))), nil
	case hasVersion && v == "1":
		keys := make([]string, 0, len(c.Params))
		for k := range c.Params {
			keys = append(keys, k)
		}
		slices.SortStableFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		m := hmac.New(sha1.New, key)
		for _, k := range keys {
			m.Write([]byte(k))
			m.Write([]byte(pyStr(c.Params[k])))
		}
		return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
	case hasVersion && v == "2":
		params := make(map[string]any, len(c.Params)+1)
		for k, v := range c.Params {
			params[k] = v
		}
		params["SignatureMethod"] = "HmacSHA256"
		s := c.Verb + "\n" + c.Host + "\n" + c.Path + "\n" + canonicalQuery(params)
		return base64.StdEncoding.EncodeToString(hmacSum(sha256.New, key, []byte(s))), nil
	case c.isV4():
		return ec2SignatureV4(secret, c)
	}
	return "", errBadSignature
}

func ec2SignatureV4(secret string, c *ec2Request) (string, error) {
	auth, fromHeader := c.Headers["Authorization"]
	param := func(name string) string {
		if fromHeader {
			_, after, _ := strings.Cut(auth, name+"=")
			v, _, _ := strings.Cut(after, ",")
			return v
		}
		return pyStr(c.Params["X-Amz-"+name])
	}
	date, ok := c.Headers["X-Amz-Date"]
	if !ok {
		date = pyStr(c.Params["X-Amz-Date"])
	}
	lower := map[string]string{}
	for k, v := range c.Headers {
		lower[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	var hdrs []string
	signed := param("SignedHeaders")
	for _, h := range strings.Split(signed, ";") {
		if v, ok := lower[h]; ok {
			hdrs = append(hdrs, h+":"+v)
		}
	}
	query := ""
	if !strings.EqualFold(c.Verb, "POST") {
		query = canonicalQuery(c.Params)
	}
	cr := strings.Join([]string{strings.ToUpper(c.Verb), c.Path, query, strings.Join(hdrs, "\n") + "\n", signed, c.BodyHash}, "\n")
	cred := strings.Split(param("Credential"), "/")
	if len(cred) < 5 || !strings.HasPrefix(date, cred[1]) {
		return "", errBadSignature
	}
	sum := sha256.Sum256([]byte(cr))
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + strings.Join(cred[1:], "/") + "\n" + hex.EncodeToString(sum[:])
	k := sigV4Key(secret, cred[1], cred[2], cred[3])
	return hex.EncodeToString(hmacSum(sha256.New, k, []byte(toSign))), nil
}

func sigV4Key(secret, date, region, service string) []byte {
	k := hmacSum(sha256.New, []byte("AWS4"+secret), []byte(date))
	k = hmacSum(sha256.New, k, []byte(region))
	k = hmacSum(sha256.New, k, []byte(service))
	return hmacSum(sha256.New, k, []byte("aws4_request"))
}

// s3Signature is Keystone's s3tokens check: the token is the base64url
// string to sign; v1 is base64 HMAC-SHA1, v4 the hex HMAC-SHA256 with the
// key derived from the scope in the string (services s3, iam, sts only).
func s3Signature(secret, token string) (string, error) {
	raw, err := base64.URLEncoding.DecodeString(token)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(token, "=")); err != nil {
			return "", errBadSignature
		}
	}
	if !strings.HasPrefix(string(raw), "AWS4") {
		return base64.StdEncoding.EncodeToString(hmacSum(sha1.New, []byte(secret), raw)), nil
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 4 || parts[0] != "AWS4-HMAC-SHA256" {
		return "", errBadSignature
	}
	scope := strings.Split(parts[2], "/")
	if len(scope) != 4 || scope[3] != "aws4_request" || !slices.Contains([]string{"s3", "iam", "sts"}, scope[2]) {
		return "", errBadSignature
	}
	k := sigV4Key(secret, scope[0], scope[1], scope[2])
	return hex.EncodeToString(hmacSum(sha256.New, k, raw)), nil
}

// signedAt is the request's signing time (Timestamp, or X-Amz-Date as a
// header or parameter), zero when the signer left it out.
func (c *ec2Request) signedAt() (time.Time, bool, error) {
	ts := pyStr(c.Params["Timestamp"])
	if _, ok := c.Params["Timestamp"]; !ok {
		ts = c.Headers["X-Amz-Date"]
		if ts == "" {
			if _, ok := c.Params["X-Amz-Date"]; !ok {
				return time.Time{}, false, nil
			}
			ts = pyStr(c.Params["X-Amz-Date"])
		}
	}
	for _, layout := range []string{"20060102T150405Z", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, ts); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, true, errBadSignature
}

// hostWithoutPort is the host without a port, for clients that sign
// without it (Keystone tries both).
func hostWithoutPort(h string) (string, bool) {
	if !strings.Contains(h, ":") {
		return "", false
	}
	host, _, err := net.SplitHostPort(h)
	if err != nil {
		return "", false
	}
	return host, true
}
