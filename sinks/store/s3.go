package store

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"
)

// MaxGetSize bounds whole-object reads (Get) from S3.
const MaxGetSize = 1 << 30

// S3Config configures the S3/MinIO backend. The caller reads the keys from files or
// the environment; the config only carries the values and String() never prints them.
type S3Config struct {
	// Endpoint is host[:port], without scheme.
	Endpoint string
	// Bucket must already exist.
	Bucket string
	// AccessKey and SecretKey are the credentials (never logged).
	AccessKey string
	SecretKey string
	// Region is optional.
	Region string
	// CAFile, when set, is a PEM bundle used as the only trusted roots (RootCAs).
	CAFile string
	// Insecure selects plain HTTP. TLS is used unless this is explicitly set.
	Insecure bool
	// RetentionMode is "COMPLIANCE" (default) or "GOVERNANCE", used when RetainUntil is set.
	RetentionMode string
}

// String describes the config with the credentials redacted.
func (c S3Config) String() string {
	red := func(s string) string {
		if s == "" {
			return "<unset>"
		}
		return "<redacted>"
	}
	return fmt.Sprintf("S3Config{Endpoint:%s Bucket:%s AccessKey:%s SecretKey:%s Region:%s CAFile:%s Insecure:%t RetentionMode:%s}",
		c.Endpoint, c.Bucket, red(c.AccessKey), red(c.SecretKey), c.Region, c.CAFile, c.Insecure, c.RetentionMode)
}

// GoString is String, so %#v does not print the credentials either.
func (c S3Config) GoString() string { return c.String() }

// S3 is a Store in an S3 bucket (MinIO or AWS). Every Put asks for SSE-S3 encryption.
// On a versioned bucket Delete removes every version of the object, so a deleted
// object (a crypto-shredded key, say) is really gone.
type S3 struct {
	cl     *minio.Client
	bucket string
	mode   minio.RetentionMode

	mu          sync.Mutex
	lockKnown   bool
	lockEnabled bool
	verKnown    bool
	versioned   bool
}

var _ Store = (*S3)(nil)
var _ Creator = (*S3)(nil)

// NewS3 builds an S3 store. It does not contact the server (see Ping).
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("store: S3 endpoint and bucket are required")
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, errors.New("store: S3 endpoint must be host[:port] without a scheme")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("store: S3 access key and secret key are required")
	}
	mode := minio.Compliance
	switch strings.ToUpper(cfg.RetentionMode) {
	case "", "COMPLIANCE":
	case "GOVERNANCE":
		mode = minio.Governance
	default:
		return nil, fmt.Errorf("store: S3 retention mode %q: want COMPLIANCE or GOVERNANCE", cfg.RetentionMode)
	}
	secure := !cfg.Insecure
	if !secure && cfg.CAFile != "" {
		return nil, errors.New("store: S3 CAFile set together with Insecure (plain HTTP)")
	}
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("store: S3 transport: %w", err)
	}
	if secure {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("store: S3 CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("store: S3 CA file %s holds no PEM certificates", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	tr.MaxIdleConnsPerHost = 64
	cl, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    secure,
		Region:    cfg.Region,
		Transport: http.RoundTripper(tr),
	})
	if err != nil {
		return nil, fmt.Errorf("store: S3 client for %s: %w", cfg.Endpoint, err)
	}
	return &S3{cl: cl, bucket: cfg.Bucket, mode: mode}, nil
}

// Ping checks that the bucket exists and learns whether it has object lock enabled.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.cl.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("store: S3 bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("store: S3 bucket %s does not exist", s.bucket)
	}
	s.lockStatus(ctx)
	return nil
}

func (s *S3) lockStatus(ctx context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lockKnown {
		return s.lockEnabled
	}
	enabled, _, _, _, err := s.cl.GetObjectLockConfig(ctx, s.bucket)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "ObjectLockConfigurationNotFoundError" {
			s.lockKnown = true
		}
		return false
	}
	s.lockKnown, s.lockEnabled = true, enabled == "Enabled"
	return s.lockEnabled
}

func (s *S3) isVersioned(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verKnown {
		return s.versioned, nil
	}
	vc, err := s.cl.GetBucketVersioning(ctx, s.bucket)
	if err != nil {
		return false, fmt.Errorf("store: S3 bucket versioning: %w", err)
	}
	s.verKnown, s.versioned = true, vc.Enabled() || vc.Suspended()
	return s.versioned, nil
}

// RetentionSupported reports whether the bucket has S3 object lock enabled (learned from
// the server on first use; false when it can not be determined).
func (s *S3) RetentionSupported() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.lockStatus(ctx)
}

func mapErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	case "PreconditionFailed":
		return fmt.Errorf("store: %s %s: %w", op, name, ErrExists)
	case "InvalidRange":
		return fmt.Errorf("store: %s %s: %w", op, name, ErrRange)
	}
	return fmt.Errorf("store: S3 %s %s: %w", op, name, err)
}

func (s *S3) putOpts(opts PutOptions) (minio.PutObjectOptions, error) {
	po := minio.PutObjectOptions{
		ServerSideEncryption: encrypt.NewSSE(),
		UserMetadata:         normMeta(opts.Metadata),
		ContentType:          "application/octet-stream",
	}
	if !opts.RetainUntil.IsZero() {
		po.Mode = s.mode
		po.RetainUntilDate = opts.RetainUntil.UTC()
	}
	return po, nil
}

// Put writes the object with SSE-S3 (and object-lock retention when RetainUntil is set).
func (s *S3) Put(ctx context.Context, name string, data []byte, opts PutOptions) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	po, err := s.putOpts(opts)
	if err != nil {
		return err
	}
	_, err = s.cl.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)), po)
	return mapErr("put", name, err)
}

// Create writes the object only if it does not exist (If-None-Match: *); ErrExists otherwise.
func (s *S3) Create(ctx context.Context, name string, data []byte, opts PutOptions) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	po, err := s.putOpts(opts)
	if err != nil {
		return err
	}
	po.SetMatchETagExcept("*")
	_, err = s.cl.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)), po)
	return mapErr("create", name, err)
}

func (s *S3) read(ctx context.Context, name string, o minio.GetObjectOptions, max int64) ([]byte, error) {
	obj, err := s.cl.GetObject(ctx, s.bucket, name, o)
	if err != nil {
		return nil, mapErr("get", name, err)
	}
	defer obj.Close()
	b, err := ReadAllLimit(obj, max)
	if err != nil {
		var er minio.ErrorResponse
		if errors.As(err, &er) || minio.ToErrorResponse(err).Code != "" {
			return nil, mapErr("get", name, err)
		}
		return nil, fmt.Errorf("store: S3 get %s: %w", name, err)
	}
	return b, nil
}

// Get reads a whole object (at most MaxGetSize bytes).
func (s *S3) Get(ctx context.Context, name string) ([]byte, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	return s.read(ctx, name, minio.GetObjectOptions{}, MaxGetSize)
}

// GetRange reads length bytes at offset with a ranged GET; the range must lie inside
// the object (ErrRange).
func (s *S3) GetRange(ctx context.Context, name string, offset, length int64) ([]byte, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if err := checkRange(offset, length); err != nil {
		return nil, err
	}
	if length == 0 {
		st, err := s.Stat(ctx, name)
		if err != nil {
			return nil, err
		}
		if offset > st.Size {
			return nil, fmt.Errorf("%w: %s: offset %d > size %d", ErrRange, name, offset, st.Size)
		}
		return []byte{}, nil
	}
	var o minio.GetObjectOptions
	if err := o.SetRange(offset, offset+length-1); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRange, err)
	}
	b, err := s.read(ctx, name, o, length)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != length {
		return nil, fmt.Errorf("%w: %s: asked %d bytes at %d, object has %d there", ErrRange, name, length, offset, len(b))
	}
	return b, nil
}

// Stat returns an object's Info; metadata keys are lower case.
func (s *S3) Stat(ctx context.Context, name string) (Info, error) {
	if err := ValidateName(name); err != nil {
		return Info{}, err
	}
	oi, err := s.cl.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, mapErr("stat", name, err)
	}
	return Info{Name: name, Size: oi.Size, Modified: oi.LastModified, Metadata: normMeta(oi.UserMetadata)}, nil
}

// Delete removes the object; on a versioned bucket every version of it is removed.
// Deleting a missing object is not an error. Versions under retention make it fail.
func (s *S3) Delete(ctx context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	ver, err := s.isVersioned(ctx)
	if err != nil {
		return err
	}
	if !ver {
		return mapErrDelete(name, s.cl.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}))
	}
	for oi := range s.cl.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: name, WithVersions: true, Recursive: true}) {
		if oi.Err != nil {
			return mapErr("list versions of", name, oi.Err)
		}
		if oi.Key != name {
			continue
		}
		if err := s.cl.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{VersionID: oi.VersionID}); err != nil {
			return mapErrDelete(name, err)
		}
	}
	return nil
}

func mapErrDelete(name string, err error) error {
	if err == nil {
		return nil
	}
	if c := minio.ToErrorResponse(err).Code; c == "NoSuchKey" || c == "NoSuchVersion" {
		return nil
	}
	return mapErr("delete", name, err)
}

// List calls fn for every object whose name starts with prefix, in lexical order.
// Info.Metadata is not filled by List (use Stat).
func (s *S3) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range s.cl.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return mapErr("list", prefix, oi.Err)
		}
		if err := fn(Info{Name: oi.Key, Size: oi.Size, Modified: oi.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }
