package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName is returned (wrapped) when an object name is not acceptable.
var ErrInvalidName = errors.New("store: invalid object name")

// ErrRange is returned (wrapped) by GetRange when the requested range is not inside the object.
var ErrRange = errors.New("store: range outside object")

// ErrExists is returned (wrapped) by Creator.Create when the object already exists.
var ErrExists = errors.New("store: object already exists")

// MaxNameLen is the longest object name accepted.
const MaxNameLen = 1024

// ValidateName checks an object name: non-empty slash-separated components, no
// absolute paths, no "." or ".." components, no component starting with "."
// (reserved for temporary files), no backslashes or control characters.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidName, MaxNameLen)
	}
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("%w: absolute path", ErrInvalidName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: control character or backslash", ErrInvalidName)
		}
	}
	for _, c := range strings.Split(name, "/") {
		switch {
		case c == "":
			return fmt.Errorf("%w: empty path component", ErrInvalidName)
		case c == "." || c == "..":
			return fmt.Errorf("%w: %q component", ErrInvalidName, c)
		case strings.HasPrefix(c, "."):
			return fmt.Errorf("%w: component starts with '.'", ErrInvalidName)
		}
	}
	return nil
}

// validatePrefix checks a List prefix: empty, or a name prefix without "..", "." or
// absolute paths (a trailing slash is allowed).
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	p := strings.TrimSuffix(prefix, "/")
	if p == "" {
		return fmt.Errorf("%w: prefix is \"/\"", ErrInvalidName)
	}
	// The last component may be partial; a partial "." or ".." is still refused.
	return ValidateName(p)
}

// Creator is implemented by backends that can create an object only when it does not
// exist yet (S3 If-None-Match, link(2) locally). Create returns an error wrapping
// ErrExists when the name is taken. Both backends in this package implement it.
type Creator interface {
	Create(ctx context.Context, name string, data []byte, opts PutOptions) error
}

func normMeta(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

func checkRange(offset, length int64) error {
	if offset < 0 || length < 0 {
		return fmt.Errorf("%w: negative offset or length", ErrRange)
	}
	return nil
}
