package vault

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// KeySize is the size of every key (AES-256).
const KeySize = 32

// maxKeyringFile bounds the keyring file size.
const maxKeyringFile = 1 << 20

// ErrKeyring is wrapped by every keyring loading error.
var ErrKeyring = errors.New("vault: keyring")

var keyIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Keyring holds the key-encryption keys; the last one is the newest and wraps new keys.
type Keyring struct {
	ids  []string
	keys map[string][]byte
}

// LoadKeyring reads a keyring file. The file must be a regular file not readable or
// writable by group or others (mode 0600 or stricter). Two forms are accepted:
//
//	# comment
//	2024-01:BASE64-OF-32-BYTES
//	2025-01:BASE64-OF-32-BYTES      <- newest (last line)
//
// or JSON: {"keys":[{"id":"2024-01","key":"BASE64"},{"id":"2025-01","key":"BASE64"}]}
// (newest last). Ids are 1-64 characters of [A-Za-z0-9._-]; keys are standard or URL
// base64 (padding optional) of exactly 32 bytes; ids must be unique. Errors name the
// file, line and mode, never key material.
func LoadKeyring(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", ErrKeyring, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: stat %s: %w", ErrKeyring, path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrKeyring, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; it must not be accessible by group or others (chmod 600)", ErrKeyring, path, perm)
	}
	if fi.Size() > maxKeyringFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrKeyring, path, maxKeyringFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyringFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrKeyring, path, err)
	}
	kr, err := ParseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kr, nil
}

// ParseKeyring parses keyring text (either form described at LoadKeyring) without the
// file permission checks.
func ParseKeyring(data []byte) (*Keyring, error) {
	kr := &Keyring{keys: map[string][]byte{}}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		var doc struct {
			Keys []struct {
				ID  string `json:"id"`
				Key string `json:"key"`
			} `json:"keys"`
		}
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%w: JSON form does not parse (want {\"keys\":[{\"id\":...,\"key\":...}]})", ErrKeyring)
		}
		for i, k := range doc.Keys {
			if err := kr.add(k.ID, k.Key, fmt.Sprintf("key #%d", i+1)); err != nil {
				return nil, err
			}
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 4096), maxKeyringFile)
		line := 0
		for sc.Scan() {
			line++
			l := strings.TrimSpace(sc.Text())
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			id, key, ok := strings.Cut(l, ":")
			if !ok {
				return nil, fmt.Errorf("%w: line %d: want id:base64key", ErrKeyring, line)
			}
			if err := kr.add(strings.TrimSpace(id), strings.TrimSpace(key), fmt.Sprintf("line %d", line)); err != nil {
				return nil, err
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKeyring, err)
		}
	}
	if len(kr.ids) == 0 {
		return nil, fmt.Errorf("%w: no keys (there are no default keys; create one with: head -c32 /dev/urandom | base64)", ErrKeyring)
	}
	return kr, nil
}

// NewKeyring builds a keyring from ids and raw 32-byte keys, oldest first.
func NewKeyring(ids []string, keys [][]byte) (*Keyring, error) {
	if len(ids) != len(keys) || len(ids) == 0 {
		return nil, fmt.Errorf("%w: need the same non-zero number of ids and keys", ErrKeyring)
	}
	kr := &Keyring{keys: map[string][]byte{}}
	for i := range ids {
		if err := kr.addRaw(ids[i], keys[i], fmt.Sprintf("key #%d", i+1)); err != nil {
			return nil, err
		}
	}
	return kr, nil
}

func (kr *Keyring) add(id, b64, where string) error {
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(b64); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s: key is not valid base64", ErrKeyring, where)
	}
	return kr.addRaw(id, raw, where)
}

func (kr *Keyring) addRaw(id string, raw []byte, where string) error {
	if !keyIDRe.MatchString(id) {
		return fmt.Errorf("%w: %s: key id must be 1-64 characters of [A-Za-z0-9._-]", ErrKeyring, where)
	}
	if len(raw) != KeySize {
		return fmt.Errorf("%w: %s: key %q is %d bytes, must be exactly %d", ErrKeyring, where, id, len(raw), KeySize)
	}
	if _, dup := kr.keys[id]; dup {
		return fmt.Errorf("%w: %s: duplicate key id %q", ErrKeyring, where, id)
	}
	kr.ids = append(kr.ids, id)
	kr.keys[id] = bytes.Clone(raw)
	return nil
}

// Newest returns the id of the newest key (the one that wraps new data keys).
func (kr *Keyring) Newest() string { return kr.ids[len(kr.ids)-1] }

// IDs returns the key ids, oldest first.
func (kr *Keyring) IDs() []string { return append([]string(nil), kr.ids...) }

func (kr *Keyring) key(id string) ([]byte, bool) {
	k, ok := kr.keys[id]
	return k, ok
}

// String names the key ids only, never key material.
func (kr *Keyring) String() string { return "Keyring" + fmt.Sprint(kr.ids) }

// GoString is String.
func (kr *Keyring) GoString() string { return kr.String() }
