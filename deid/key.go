package deid

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
)

// MinKeyLen is the minimum pseudonymization key length in bytes.
const MinKeyLen = 32

// Key errors. The messages name the file and the problem, never key material.
var (
	ErrKeyMissing     = errors.New("deid: key file missing")
	ErrKeyShort       = errors.New("deid: key shorter than 32 bytes")
	ErrKeyPermissions = errors.New("deid: key file is readable by group or others")
)

// LoadKeyFile reads a secret key from path. The file holds at least 32
// random bytes: raw, or as hex or base64 text (a single line). A missing
// file, a short key, or a file that group or others may read is an error.
// There is no default key.
func LoadKeyFile(path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no key file given (use --key-file or SAFEHARBOR_KEY_FILE)", ErrKeyMissing)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyMissing, path, errors.Unwrap(err))
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrKeyPermissions, path, st.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyMissing, path, errors.Unwrap(err))
	}
	key := decodeKeyText(raw)
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("%w: %s holds %d bytes", ErrKeyShort, path, len(key))
	}
	return key, nil
}

// decodeKeyText accepts hex or base64 text keys and otherwise returns raw bytes.
func decodeKeyText(raw []byte) []byte {
	t := bytes.TrimSpace(raw)
	if len(t) >= 2*MinKeyLen && len(t)%2 == 0 {
		if k, err := hex.DecodeString(string(t)); err == nil {
			return k
		}
	}
	if k, err := base64.StdEncoding.DecodeString(string(t)); err == nil && len(k) >= MinKeyLen {
		return k
	}
	return raw
}
