package access

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// S3Target is an S3/MinIO bucket in a configuration file. Credentials come
// from files (mode 0600, checked by ReadSecretFile) or from values the caller
// sets from the environment (AccessKey, SecretKey); they are never printed.
type S3Target struct {
	Endpoint      string `yaml:"endpoint"`
	Bucket        string `yaml:"bucket"`
	Region        string `yaml:"region"`
	AccessKeyFile string `yaml:"access_key_file"`
	SecretKeyFile string `yaml:"secret_key_file"`
	CAFile        string `yaml:"ca_file"`
	// Insecure selects plain HTTP (no TLS); never for production.
	Insecure bool `yaml:"insecure"`
	// AccessKey and SecretKey, when set (from the environment), are used
	// instead of the files.
	AccessKey string `yaml:"-"`
	SecretKey string `yaml:"-"`
}

// Set reports whether an endpoint is configured.
func (t *S3Target) Set() bool { return t != nil && t.Endpoint != "" }

// Validate returns the problems of the settings, prefixed with name.
func (t *S3Target) Validate(name string) []string {
	var errs []string
	if strings.Contains(t.Endpoint, "://") {
		errs = append(errs, fmt.Sprintf("%s.endpoint: %q: give host:port without a scheme (TLS is on unless insecure)", name, t.Endpoint))
	}
	if t.Bucket == "" {
		errs = append(errs, name+".bucket: required")
	}
	if t.AccessKeyFile == "" && t.AccessKey == "" {
		errs = append(errs, name+": set access_key_file")
	}
	if t.SecretKeyFile == "" && t.SecretKey == "" {
		errs = append(errs, name+": set secret_key_file")
	}
	return errs
}

// Open reads the credentials (checking the files' permissions), connects and
// checks the bucket is reachable.
func (t *S3Target) Open(ctx context.Context, name string) (*store.S3, error) {
	ak, sk := t.AccessKey, t.SecretKey
	var err error
	if ak == "" {
		if ak, err = ReadSecretFile(name+".access_key_file", t.AccessKeyFile); err != nil {
			return nil, err
		}
	}
	if sk == "" {
		if sk, err = ReadSecretFile(name+".secret_key_file", t.SecretKeyFile); err != nil {
			return nil, err
		}
	}
	s, err := store.NewS3(store.S3Config{Endpoint: t.Endpoint, Bucket: t.Bucket, Region: t.Region,
		AccessKey: ak, SecretKey: sk, CAFile: t.CAFile, Insecure: t.Insecure})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}
