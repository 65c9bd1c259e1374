package config

import (
	"context"
	"fmt"
	"os"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// Open opens the destination: the directory (created 0700) or the S3 bucket
// (credentials from permission-checked files or the environment).
func (t *Target) Open(ctx context.Context, name string) (store.Store, error) {
	if !t.S3.Set() {
		if err := os.MkdirAll(t.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("%s.dir: %w", name, err)
		}
		l, err := store.NewLocal(t.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s.dir: %w", name, err)
		}
		return l, nil
	}
	return t.S3.Open(ctx, name+".s3")
}

// Where describes the destination for humans.
func (t *Target) Where() string {
	if t.S3.Set() {
		return "s3://" + t.S3.Bucket + " at " + t.S3.Endpoint
	}
	return t.Dir
}
