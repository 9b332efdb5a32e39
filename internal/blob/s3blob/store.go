// Package s3blob is the blob.Store of an S3-compatible object store
// (SeaweedFS's S3 gateway in the tests, Ceph RGW, AWS S3, ...): every
// stratus node of a deployment reads and writes the same bucket, so any
// node serves any byte and runs any job.
//
// Keys map to objects under an optional prefix. A Writer buffers parts and
// uploads them in parallel as a multipart upload (a single PUT when the
// stream fits one part), so a commit is CompleteMultipartUpload: the
// object appears whole or not at all. Readers do ranged GETs. The client
// is minio-go (SigV4 with streamed payload hashes over plain HTTP, retries
// with exponential backoff and jitter on every request).
package s3blob

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// Options configure a Store.
type Options struct {
	Endpoint string // http(s)://host[:port]
	Bucket   string
	Prefix   string // prepended to every key ("" or ending in /)
	Region   string // "" is us-east-1

	AccessKey, SecretKey, SessionToken string

	// PartSize is the size of a multipart upload's parts (16 MiB by
	// default; S3 needs at least 5 MiB), Parallel how many parts of one
	// upload are sent at once (4).
	PartSize int64
	Parallel int
	// StageDir holds the local files of staged writers.
	StageDir string
	// MaxRetries bounds the attempts of one request (10 by default).
	MaxRetries int
	// UnsignedPayload leaves request bodies out of the signature over plain
	// HTTP (over HTTPS they always are, TLS protecting them): for a
	// private network where the store's and this node's CPU matter more
	// than a tampering check on the wire.
	UnsignedPayload bool
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

const (
	defaultPartSize = 16 << 20
	minPartSize     = 5 << 20
	maxParts        = 10000
	defaultParallel = 4
)

// ParseURL reads s3://BUCKET[/PREFIX]?endpoint=URL[&region=R] into
// Options; credentials come from getenv (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION) unless the caller
// sets them.
func ParseURL(raw string, getenv func(string) string) (Options, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return Options{}, fmt.Errorf("blob: %q is not s3://BUCKET[/PREFIX]?endpoint=URL", raw)
	}
	o := Options{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	if o.Prefix != "" {
		o.Prefix += "/"
	}
	q := u.Query()
	o.Endpoint = q.Get("endpoint")
	o.Region = q.Get("region")
	if o.Region == "" {
		o.Region = getenv("AWS_REGION")
	}
	if v := q.Get("part_size"); v != "" {
		if o.PartSize, err = strconv.ParseInt(v, 10, 64); err != nil || o.PartSize < minPartSize {
			return Options{}, fmt.Errorf("blob: part_size %q: at least %d bytes", v, minPartSize)
		}
	}
	if v := q.Get("parallel"); v != "" {
		if o.Parallel, err = strconv.Atoi(v); err != nil || o.Parallel < 1 {
			return Options{}, fmt.Errorf("blob: parallel %q: a positive number", v)
		}
	}
	if v := q.Get("unsigned_payload"); v != "" {
		if o.UnsignedPayload, err = strconv.ParseBool(v); err != nil {
			return Options{}, fmt.Errorf("blob: unsigned_payload %q: true or false", v)
		}
	}
	o.AccessKey, o.SecretKey, o.SessionToken = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	if o.Bucket == "" || o.Endpoint == "" {
		return Options{}, fmt.Errorf("blob: %q needs a bucket and ?endpoint=URL", raw)
	}
	return o, nil
}

// Store is a blob.Store on one bucket.
type Store struct {
	cl   *minio.Client
	core *minio.Core
	opts Options
}

var (
	_ blob.Store        = (*Store)(nil)
	_ blob.SizedCreator = (*Store)(nil)
	_ blob.Copier       = (*Store)(nil)
)

// New connects to the endpoint and creates the bucket when it is missing.
func New(ctx context.Context, o Options) (*Store, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("blob: endpoint %q is not an http(s) URL", o.Endpoint)
	}
	if len(o.Bucket) < 3 {
		return nil, fmt.Errorf("blob: bucket name %q is shorter than 3 characters", o.Bucket)
	}
	if o.PartSize == 0 {
		o.PartSize = defaultPartSize
	}
	if o.Parallel == 0 {
		o.Parallel = defaultParallel
	}
	if o.StageDir == "" {
		o.StageDir = filepath.Join(os.TempDir(), "stratus-stage")
	}
	if err := os.MkdirAll(o.StageDir, 0o700); err != nil {
		return nil, err
	}
	sweepStage(o.StageDir)
	var creds *credentials.Credentials
	if o.AccessKey != "" {
		creds = credentials.NewStaticV4(o.AccessKey, o.SecretKey, o.SessionToken)
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	cl, err := minio.New(u.Host, &minio.Options{
		Creds: creds, Secure: u.Scheme == "https", Region: o.Region,
		BucketLookup: minio.BucketLookupPath, MaxRetries: o.MaxRetries, Transport: o.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	s := &Store{cl: cl, core: &minio.Core{Client: cl}, opts: o}
	if err := s.ensureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) ensureBucket(ctx context.Context) error {
	ok, err := s.cl.BucketExists(ctx, s.opts.Bucket)
	if err != nil {
		return fmt.Errorf("blob: bucket %s: %w", s.opts.Bucket, err)
	}
	if ok {
		return nil
	}
	err = s.cl.MakeBucket(ctx, s.opts.Bucket, minio.MakeBucketOptions{Region: s.opts.Region})
	if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
		return nil // another node made it first
	}
	if err != nil {
		return fmt.Errorf("blob: create bucket %s: %w", s.opts.Bucket, err)
	}
	return nil
}

// putOpts are the options of every object PUT.
func (s *Store) putOpts() minio.PutObjectOptions {
	return minio.PutObjectOptions{DisableContentSha256: s.opts.UnsignedPayload}
}

// partOpts are the options of every part upload.
func (s *Store) partOpts() minio.PutObjectPartOptions {
	return minio.PutObjectPartOptions{DisableContentSha256: s.opts.UnsignedPayload}
}

// Bucket is the bucket the store writes to.
func (s *Store) Bucket() string { return s.opts.Bucket }

func (s *Store) object(key string) (string, error) {
	if !blob.ValidKey(key) {
		return "", fmt.Errorf("blob: invalid key %q", key)
	}
	return s.opts.Prefix + key, nil
}

func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey"
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (int64, error) {
	obj, err := s.object(key)
	if err != nil {
		return 0, err
	}
	info, err := s.cl.StatObject(ctx, s.opts.Bucket, obj, minio.StatObjectOptions{})
	if notFound(err) {
		return 0, blob.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return info.Size, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.cl.RemoveObject(ctx, s.opts.Bucket, obj, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

// List implements blob.Store.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when fn fails
	for o := range s.cl.ListObjects(ctx, s.opts.Bucket, minio.ListObjectsOptions{Prefix: s.opts.Prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("blob: list %s: %w", prefix, o.Err)
		}
		key := strings.TrimPrefix(o.Key, s.opts.Prefix)
		if !blob.ValidKey(key) {
			continue // not one of ours
		}
		if err := fn(blob.Info{Key: key, Size: o.Size, ModTime: o.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Copy implements blob.Copier: a server-side copy (multipart
// UploadPartCopy above 5 GiB), no byte passes through this node.
func (s *Store) Copy(ctx context.Context, src, dst string) error {
	so, err := s.object(src)
	if err != nil {
		return err
	}
	do, err := s.object(dst)
	if err != nil {
		return err
	}
	_, err = s.cl.ComposeObject(ctx, minio.CopyDestOptions{Bucket: s.opts.Bucket, Object: do},
		minio.CopySrcOptions{Bucket: s.opts.Bucket, Object: so})
	if notFound(err) {
		return blob.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("blob: copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// SweepUploads aborts multipart uploads under the store's prefix that
// started more than olderThan ago: what a node that died mid-upload left.
// olderThan must exceed the longest upload (a day).
func (s *Store) SweepUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	cut := time.Now().Add(-olderThan)
	n := 0
	keyMarker, idMarker := "", ""
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.opts.Bucket, s.opts.Prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return n, fmt.Errorf("blob: list uploads: %w", err)
		}
		for _, u := range res.Uploads {
			if u.Initiated.Before(cut) {
				if err := s.core.AbortMultipartUpload(ctx, s.opts.Bucket, u.Key, u.UploadID); err == nil {
					n++
				}
			}
		}
		if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
			return n, nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

// errDone is returned by a writer used after Commit or Abort.
var errDone = errors.New("blob: writer already finished")
