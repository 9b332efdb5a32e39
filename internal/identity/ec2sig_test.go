package identity

import (
	"encoding/json"
	"testing"
)

// Vectors made with keystoneclient's Ec2Signer (python3-keystoneclient
// 5.0.1) and Keystone's s3tokens functions, secret below.
const vectorSecret = "0123456789abcdef0123456789abcdef"

func TestEC2SignatureVectors(t *testing.T) {
	for _, c := range []struct {
		name, creds, want string
	}{
		{"v0", `{"access": "AK", "host": "ec2.test:8773", "verb": "GET", "path": "/", "params": {"SignatureVersion": "0", "Action": "DescribeInstances", "Timestamp": "2026-01-02T03:00:00Z"}}`, "cAWTxWf/gpmyUbtXWaOIiorMiPE="},
		{"v1", `{"access": "AK", "host": "ec2.test:8773", "verb": "GET", "path": "/", "params": {"SignatureVersion": "1", "Action": "DescribeInstances", "Timestamp": "2026-01-02T03:00:00Z", "aB": "x y", "Zeta": 5}}`, "GIrcGJ/Db8VRUnS8WxkdRXRu5zA="},
		{"v2", `{"access": "AK", "host": "ec2.test:8773", "verb": "GET", "path": "/services/Cloud/", "params": {"SignatureVersion": "2", "SignatureMethod": "HmacSHA256", "AWSAccessKeyId": "AK", "Action": "DescribeImages", "Timestamp": "2026-01-02T03:00:00Z", "Name": "a b/c~d*\u00e9"}}`, "oKRYAmLNSlG95WhoZRrceW006/aXqNPFuhR3HkRiNG0="},
		{"v4 header", `{"access": "AK", "host": "s3.test", "verb": "GET", "path": "/bucket/key", "params": {"prefix": "a b"}, "body_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "headers": {"Host": "s3.test", "X-Amz-Date": "20260102T030000Z", "X-Amz-Content-Sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "Authorization": "AWS4-HMAC-SHA256 Credential=AK/20260102/RegionOne/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=xx"}}`, "e642fa04eaea877dea25c127e7a54f94f4a21e511c45a080aedd182263547f50"},
		{"v4 query", `{"access": "AK", "host": "s3.test", "verb": "GET", "path": "/bucket/key", "body_hash": "UNSIGNED-PAYLOAD", "headers": {"Host": "s3.test"}, "params": {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": "AK/20260102/RegionOne/s3/aws4_request", "X-Amz-Date": "20260102T030000Z", "X-Amz-Expires": "300", "X-Amz-SignedHeaders": "host"}}`, "09c34177c71662bcfa2b95b2d2bed75fdbb6716ad596b4bdf0e2ad4e69ecfe0d"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var req ec2Request
			if err := json.Unmarshal([]byte(c.creds), &req); err != nil {
				t.Fatal(err)
			}
			got, err := ec2Signature(vectorSecret, &req)
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
			if other, _ := ec2Signature(vectorSecret+"x", &req); other == c.want {
				t.Fatal("another secret signs the same")
			}
		})
	}
	for _, c := range []struct {
		name, token, want string
	}{
		{"s3 v1", "R0VUCgoKVHVlLCAwMiBKYW4gMjAyNiAwMzowMDowMCBHTVQKL2J1Y2tldC9rZXk=", "HjzCxsU4EgQ+TyDvzcNcXTQGbrk="},
		{"s3 v4", "QVdTNC1ITUFDLVNIQTI1NgoyMDI2MDEwMlQwMzAwMDBaCjIwMjYwMTAyL1JlZ2lvbk9uZS9zMy9hd3M0X3JlcXVlc3QKMmQ3MTE2NDJiNzI2YjA0NDAxNjI3Y2E5ZmJhYzMyZjVjODUzMGZiMTkwM2NjNGRiMDIyNTg3MTc5MjFhNDg4MQ==", "20215c7730e958fa67edae89076d1c9e1bfab27af52fe6772e5b31424bd25de9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, err := s3Signature(vectorSecret, c.token); err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
	for _, bad := range []string{"!!!", "QVdTNC1ITUFDLVNIQTI1Ng==" /* AWS4-HMAC-SHA256 alone */} {
		if _, err := s3Signature(vectorSecret, bad); err == nil {
			t.Errorf("s3 token %q accepted", bad)
		}
	}
	var none ec2Request
	if _, err := ec2Signature(vectorSecret, &none); err == nil {
		t.Error("a request with no signature version signed")
	}
}

// FuzzEC2Signature feeds client-controlled credentials to the signers: no
// panic, whatever the shape.
func FuzzEC2Signature(f *testing.F) {
	f.Add(`{"params":{"SignatureVersion":"2"},"verb":"GET"}`, "dG9rZW4=")
	f.Add(`{"headers":{"Authorization":"AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host"},"params":{"X-Amz-Date":"b"}}`, "QVdTNC1ITUFDLVNIQTI1NgpiCmEvYi9zMy9hd3M0X3JlcXVlc3QKeA==")
	f.Add(`{"params":{"SignatureVersion":"0"}}`, "")
	f.Fuzz(func(t *testing.T, creds, token string) {
		var req ec2Request
		if json.Unmarshal([]byte(creds), &req) != nil {
			return
		}
		ec2Signature("secret", &req)
		req.signedAt()
		s3Signature("secret", token)
	})
}
