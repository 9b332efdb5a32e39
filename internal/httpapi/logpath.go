package httpapi

import (
	"net/http"
	"net/url"
	"strings"
)

// Logged paths and queries carry no secrets: the value of a path wildcard
// whose name says it is a token (Keystone v2.0's /tokens/{token_id}) and
// the query parameters that sign a URL (Swift temp URLs, K5's signature
// forms) are replaced by "***" before a request is logged.

const redacted = "***"

// secretParams are query parameters whose values are credentials.
var secretParams = map[string]bool{"temp_url_sig": true, "signature": true, "Signature": true,
	"X-Amz-Signature": true, "X-Auth-Token": true}

// logPath is r's path as logged.
func logPath(r *http.Request) string {
	p := r.URL.Path
	for _, name := range patternWildcards(r.Pattern) {
		if !strings.Contains(strings.ToLower(name), "token") {
			continue
		}
		if v := r.PathValue(name); v != "" {
			p = strings.ReplaceAll(p, v, redacted)
		}
	}
	return p
}

// logQuery is r's query as logged ("" when none).
func logQuery(r *http.Request) string {
	raw := r.URL.RawQuery
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, kv := range parts {
		k, _, _ := strings.Cut(kv, "=")
		if name, err := url.QueryUnescape(k); err == nil && secretParams[name] {
			parts[i] = k + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// patternWildcards lists the wildcard names of a ServeMux pattern.
func patternWildcards(pattern string) []string {
	var names []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return names
		}
		name := strings.TrimSuffix(pattern[i+1:i+j], "...")
		if name != "$" {
			names = append(names, name)
		}
		pattern = pattern[i+j+1:]
	}
}
