package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) when an object does not exist.
var ErrNotFound = errors.New("store: object not found")

// Info describes a stored object. Metadata keys and values never hold PHI.
type Info struct {
	Name     string
	Size     int64
	Modified time.Time
	Metadata map[string]string
}

// PutOptions are optional settings for Put.
type PutOptions struct {
	// Metadata is stored with the object (user metadata on S3). It must not contain PHI.
	Metadata map[string]string
	// RetainUntil, when non-zero, asks for WORM retention (S3 object lock) until that time.
	// Backends without object lock ignore it, and say so in RetentionSupported.
	RetainUntil time.Time
}

// Store is a flat namespace of immutable objects addressed by slash-separated names.
// A Put of an existing name replaces it atomically (readers see the old or the new object,
// never a mix), which is what makes replays idempotent.
type Store interface {
	// Put writes the whole object atomically and durably before returning.
	Put(ctx context.Context, name string, data []byte, opts PutOptions) error
	// Get reads a whole object.
	Get(ctx context.Context, name string) ([]byte, error)
	// GetRange reads length bytes at offset of an object.
	GetRange(ctx context.Context, name string, offset, length int64) ([]byte, error)
	// Stat returns an object's Info.
	Stat(ctx context.Context, name string) (Info, error)
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error
	// List calls fn for every object whose name starts with prefix, in lexical order.
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// RetentionSupported reports whether PutOptions.RetainUntil is enforced.
	RetentionSupported() bool
}

// ReadAllLimit reads r up to max bytes and fails if there is more.
func ReadAllLimit(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errors.New("store: object larger than limit")
	}
	return b, nil
}
