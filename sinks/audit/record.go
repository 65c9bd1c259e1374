package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is what was done to the audited entity (the CRUD verb).
type Action string

// The audited actions.
const (
	ActionCreate Action = "create"
	ActionRead   Action = "read"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// Outcome is how an audited operation ended.
type Outcome string

// The audited outcomes.
const (
	OutcomeAllowed Outcome = "allowed"
	OutcomeDenied  Outcome = "denied"
	OutcomeError   Outcome = "error"
)

// MinKeySize is the smallest accepted audit key, in bytes.
const MinKeySize = 32

// Limits on caller-supplied fields; they keep records small and make it hard
// to smuggle free text (and so PHI) into the trail.
const (
	maxFieldLen    = 256
	maxDetailKeys  = 32
	maxDetailKey   = 64
	maxDetailValue = 256
	// MaxLineSize is the longest record line Verify accepts.
	MaxLineSize = 64 << 10
)

// Event is one audited operation, as supplied by the caller. It must not
// contain PHI: RecordID is a pseudonym or opaque id, Detail holds only
// non-PHI facts (counts, key ids, rule versions, error classes).
type Event struct {
	// Actor is the user or service id that acted.
	Actor string
	// Entity names what was acted on, e.g. "vault.record", "vault.key", "vault.segment".
	Entity string
	// RecordID identifies the record (pseudonym, key id, segment name).
	RecordID string
	// Action is create, read, update or delete.
	Action Action
	// Time is when it happened; zero means now. It is stored in UTC.
	Time time.Time
	// Client is the client address (host:port, "local", or a service name).
	Client string
	// Reason is why; required for reads (re-identification) and emergency access.
	Reason string
	// Outcome is allowed, denied or error.
	Outcome Outcome
	// Emergency marks break-glass access.
	Emergency bool
	// Detail holds free non-PHI fields.
	Detail map[string]string
}

// Record is one stored audit record: the event plus its place in the chain.
type Record struct {
	Seq       uint64            `json:"seq"`
	Time      string            `json:"time"`
	Actor     string            `json:"actor"`
	Entity    string            `json:"entity"`
	RecordID  string            `json:"record_id"`
	Action    Action            `json:"action"`
	Client    string            `json:"client"`
	Reason    string            `json:"reason,omitempty"`
	Outcome   Outcome           `json:"outcome"`
	Emergency bool              `json:"emergency"`
	Detail    map[string]string `json:"detail,omitempty"`
	// KeyID names the audit key (a fingerprint, not the key).
	KeyID string `json:"kid"`
	// Prev is the MAC of the previous record ("" for the first record).
	Prev string `json:"prev"`
	// MAC is HMAC-SHA256 over the record line up to the mac field.
	MAC string `json:"mac"`
}

// ValidationError says which field of an Event is unacceptable. It never
// quotes the field's value.
type ValidationError struct {
	Field  string
	Reason string
}

// Error describes the invalid field without quoting its value.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("audit: invalid event: field %s: %s", e.Field, e.Reason)
}

func validText(field, s string, required bool) error {
	if s == "" {
		if required {
			return &ValidationError{field, "required"}
		}
		return nil
	}
	if len(s) > maxFieldLen {
		return &ValidationError{field, fmt.Sprintf("longer than %d bytes", maxFieldLen)}
	}
	return validChars(field, s)
}

func validChars(field, s string) error {
	if !utf8.ValidString(s) {
		return &ValidationError{field, "not valid UTF-8"}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return &ValidationError{field, "contains control characters"}
		}
	}
	return nil
}

func validDetailKey(k string) bool {
	if k == "" || len(k) > maxDetailKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks an Event before it is recorded.
func (e *Event) Validate() error {
	if err := validText("actor", e.Actor, true); err != nil {
		return err
	}
	if err := validText("entity", e.Entity, true); err != nil {
		return err
	}
	if err := validText("record_id", e.RecordID, true); err != nil {
		return err
	}
	switch e.Action {
	case ActionCreate, ActionRead, ActionUpdate, ActionDelete:
	default:
		return &ValidationError{"action", "must be create, read, update or delete"}
	}
	switch e.Outcome {
	case OutcomeAllowed, OutcomeDenied, OutcomeError:
	default:
		return &ValidationError{"outcome", "must be allowed, denied or error"}
	}
	if err := validText("client", e.Client, false); err != nil {
		return err
	}
	if err := validText("reason", e.Reason, e.Action == ActionRead || e.Emergency); err != nil {
		if ve, ok := err.(*ValidationError); ok && ve.Reason == "required" {
			ve.Reason = "required for reads and emergency access"
		}
		return err
	}
	if len(e.Detail) > maxDetailKeys {
		return &ValidationError{"detail", fmt.Sprintf("more than %d fields", maxDetailKeys)}
	}
	for k, v := range e.Detail {
		if !validDetailKey(k) {
			return &ValidationError{"detail", "keys must be 1-64 characters of [a-z0-9_.-]"}
		}
		if len(v) > maxDetailValue {
			return &ValidationError{"detail." + k, fmt.Sprintf("longer than %d bytes", maxDetailValue)}
		}
		if err := validChars("detail."+k, v); err != nil {
			return err
		}
	}
	return nil
}

// Key is a loaded audit key. Its String method never reveals the key.
type Key struct {
	secret []byte
	id     string
}

// String returns the key id only.
func (k *Key) String() string { return "audit-key:" + k.id }

// ID returns the key's public fingerprint, stored in every record.
func (k *Key) ID() string { return k.id }

// KeyError explains why an audit key was refused. It names the file, never the key.
type KeyError struct {
	Path   string
	Reason string
}

// Error names the key file and the reason, never the key.
func (e *KeyError) Error() string {
	return fmt.Sprintf("audit: key file %s: %s", e.Path, e.Reason)
}

// NewKey wraps raw key bytes (at least MinKeySize). Prefer LoadKey.
func NewKey(secret []byte) (*Key, error) {
	if len(secret) < MinKeySize {
		return nil, fmt.Errorf("audit: key is %d bytes, need at least %d", len(secret), MinKeySize)
	}
	s := append([]byte(nil), secret...)
	m := hmac.New(sha256.New, s)
	m.Write([]byte("safeharbor-audit-key-id"))
	return &Key{secret: s, id: hex.EncodeToString(m.Sum(nil)[:8])}, nil
}

// LoadKey reads the audit key from a file. The file must not be readable or
// writable by group or others (mode 0600 or stricter). If its content (with
// surrounding whitespace trimmed) is hex, the decoded bytes are the key;
// otherwise the raw bytes are. Content made only of hex digits is always read as hex. Either way the key must be at least 32 bytes.
// There is no default key.
func LoadKey(path string) (*Key, error) {
	if path == "" {
		return nil, &KeyError{Path: "(none)", Reason: "no audit key file configured; there is no default key"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &KeyError{Path: path, Reason: "cannot open: " + errors.Unwrap(err).Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &KeyError{Path: path, Reason: "cannot stat"}
	}
	if !st.Mode().IsRegular() {
		return nil, &KeyError{Path: path, Reason: "not a regular file"}
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, &KeyError{Path: path, Reason: fmt.Sprintf("permissions %04o allow group/other access; use chmod 600", perm)}
	}
	raw := make([]byte, 4097)
	n, _ := f.Read(raw)
	if n > 4096 {
		return nil, &KeyError{Path: path, Reason: "larger than 4096 bytes"}
	}
	raw = raw[:n]
	secret := raw
	if t := bytes.TrimSpace(raw); len(t) > 0 && isHexKey(t) {
		d, err := hex.DecodeString(string(t))
		if err != nil {
			return nil, &KeyError{Path: path, Reason: "hex key has an odd number of digits"}
		}
		secret = d
	}
	if len(secret) < MinKeySize {
		return nil, &KeyError{Path: path, Reason: fmt.Sprintf("key is %d bytes, need at least %d", len(secret), MinKeySize)}
	}
	return NewKey(secret)
}

func isHexKey(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (k *Key) mac(parts ...[]byte) string {
	m := hmac.New(sha256.New, k.secret)
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// macSuffix is the fixed tail of every record line: `,"mac":"<64 hex>"}`.
const (
	macPrefix = `,"mac":"`
	macLen    = 64
	macTail   = len(macPrefix) + macLen + 2
)

// body is Record without MAC, in the stored field order.
type body struct {
	Seq       uint64            `json:"seq"`
	Time      string            `json:"time"`
	Actor     string            `json:"actor"`
	Entity    string            `json:"entity"`
	RecordID  string            `json:"record_id"`
	Action    Action            `json:"action"`
	Client    string            `json:"client"`
	Reason    string            `json:"reason,omitempty"`
	Outcome   Outcome           `json:"outcome"`
	Emergency bool              `json:"emergency"`
	Detail    map[string]string `json:"detail,omitempty"`
	KeyID     string            `json:"kid"`
	Prev      string            `json:"prev"`
}

// seal builds the record line (without newline) and fills r.MAC.
func seal(k *Key, r *Record) ([]byte, error) {
	b, err := json.Marshal(body{r.Seq, r.Time, r.Actor, r.Entity, r.RecordID, r.Action, r.Client,
		r.Reason, r.Outcome, r.Emergency, r.Detail, r.KeyID, r.Prev})
	if err != nil {
		return nil, fmt.Errorf("audit: encode record %d: %w", r.Seq, err)
	}
	b = b[:len(b)-1] // drop '}'
	r.MAC = k.mac(b)
	line := make([]byte, 0, len(b)+macTail)
	line = append(line, b...)
	line = append(line, macPrefix...)
	line = append(line, r.MAC...)
	line = append(line, '"', '}')
	return line, nil
}

// parsed is the result of decoding one line.
type parsed struct {
	rec    Record
	macOK  bool
	kidOK  bool
	reason string // why it is unparseable, when non-empty
}

func isLowerHex(s []byte) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// parseLine decodes a record line and checks its MAC.
func parseLine(k *Key, line []byte) parsed {
	var p parsed
	if len(line) < macTail+2 || line[0] != '{' || !bytes.Equal(line[len(line)-macTail:len(line)-macTail+len(macPrefix)], []byte(macPrefix)) ||
		line[len(line)-2] != '"' || line[len(line)-1] != '}' {
		p.reason = "line does not end with a mac field"
		return p
	}
	macHex := line[len(line)-macLen-2 : len(line)-2]
	if !isLowerHex(macHex) {
		p.reason = "mac is not 64 lowercase hex digits"
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.rec); err != nil {
		p.reason = "invalid JSON record"
		return p
	}
	if dec.More() {
		p.reason = "trailing data after record"
		return p
	}
	if p.rec.Seq == 0 {
		p.reason = "missing or zero seq"
		return p
	}
	if _, err := time.Parse(time.RFC3339Nano, p.rec.Time); err != nil {
		p.reason = "bad time"
		return p
	}
	p.kidOK = p.rec.KeyID == k.id
	want := k.mac(line[:len(line)-macTail])
	p.macOK = hmac.Equal([]byte(want), macHex)
	return p
}

// String renders a record for humans (no PHI is stored, so none is shown).
func (r *Record) String() string {
	var sb strings.Builder
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(&sb, "%s #%d %-7s %-6s %s %s/%s by %s from %s", r.Time, r.Seq, r.Outcome, r.Action,
		map[bool]string{true: "EMERGENCY", false: "-"}[r.Emergency], r.Entity, r.RecordID, r.Actor, dash(r.Client))
	if r.Reason != "" {
		fmt.Fprintf(&sb, " reason=%q", r.Reason)
	}
	keys := make([]string, 0, len(r.Detail))
	for k := range r.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s=%q", k, r.Detail[k])
	}
	return sb.String()
}
