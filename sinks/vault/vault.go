package vault

import (
	"container/list"
	"context"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// Errors returned (wrapped) by the vault. None of them carries record contents.
var (
	// ErrErased: the patient's data key is gone (Erase), so the record can not be decrypted.
	ErrErased = errors.New("vault: patient data erased (data key deleted)")
	// ErrCorrupt: data failed authentication or is malformed: tampered, corrupted,
	// moved, or sealed under a different key-encryption key with the same id.
	ErrCorrupt = errors.New("vault: data failed authentication or is malformed (tampered, corrupted, or wrong key)")
	// ErrUnknownKey: the data was wrapped with a key id that is not in the keyring.
	ErrUnknownKey = errors.New("vault: key id not in keyring")
	// ErrNotFound: no such segment or record.
	ErrNotFound = errors.New("vault: not found")
	// ErrInvalid: a record or argument is not acceptable.
	ErrInvalid = errors.New("vault: invalid input")
)

// Record is one message and its metadata. Data is the identified original (PHI); every
// other field must be free of PHI (Pseudonym is a keyed HMAC supplied by the caller).
type Record struct {
	Source      string
	Partition   int32
	Offset      int64
	Pseudonym   string
	MessageType string
	Time        time.Time
	Data        []byte
}

// Ref points at one stored record and repeats its index metadata (no PHI).
type Ref struct {
	Segment     string
	Index       int
	DLQ         bool
	Source      string
	Partition   int32
	Offset      int64
	Pseudonym   string
	MessageType string
	Time        time.Time
	// KeyID is the key-encryption key id that wrapped the record's data key when written.
	KeyID string
}

// Config configures a Vault.
type Config struct {
	// Store holds keys, segments and the pseudonym index. Required. If it implements
	// store.Creator (both backends of package store do), new data keys are created
	// race-free across processes.
	Store store.Store
	// Keyring holds the key-encryption keys. Required; there are no default keys.
	Keyring *Keyring
	// IndexCacheSize bounds the caches of decrypted segment indexes and of per-segment
	// pseudonym lists (default 256).
	IndexCacheSize int
	// Concurrency bounds parallel store requests (default 16).
	Concurrency int
}

// Vault is the encrypted store of identified originals. It is safe for concurrent use.
type Vault struct {
	st     store.Store
	kr     *Keyring
	conc   int
	shards [keyShards]keyShard

	mu   sync.Mutex
	idx  *lru[*segment]
	pidx *lru[[]string]
}

// New returns a Vault.
func New(cfg Config) (*Vault, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Config.Store is nil", ErrInvalid)
	}
	if cfg.Keyring == nil || len(cfg.Keyring.ids) == 0 {
		return nil, fmt.Errorf("%w: Config.Keyring is required (there are no default keys)", ErrInvalid)
	}
	if cfg.IndexCacheSize <= 0 {
		cfg.IndexCacheSize = 256
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	return &Vault{st: cfg.Store, kr: cfg.Keyring, conc: cfg.Concurrency,
		idx: newLRU[*segment](cfg.IndexCacheSize), pidx: newLRU[[]string](4 * cfg.IndexCacheSize)}, nil
}

var pseudonymRe = regexp.MustCompile(`^[A-Za-z0-9_=~-][A-Za-z0-9._=~-]{0,127}$`)

// ValidPseudonym reports whether p can be used as a pseudonym: 1-128 characters of
// [A-Za-z0-9._=~-], not starting with '.' (it becomes part of object names).
func ValidPseudonym(p string) bool { return pseudonymRe.MatchString(p) }

func checkPseudonym(p string) error {
	if !ValidPseudonym(p) {
		return fmt.Errorf("%w: pseudonym must be 1-128 characters of [A-Za-z0-9._=~-] not starting with '.'", ErrInvalid)
	}
	return nil
}

// indexName is the object listing the distinct pseudonyms of a segment.
func indexName(segment string) string { return "index/" + segment }

// SanitizeSource maps a source (topic) name to an object-name component: characters
// outside [A-Za-z0-9._-] become '_', and if anything changed a short hash of the
// original is appended so distinct sources never share a directory.
func SanitizeSource(src string) string {
	var b strings.Builder
	changed := src == "" || len(src) > 200
	for i, r := range src {
		ok := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || (r == '.' && i > 0))
		if !ok {
			r, changed = '_', true
		}
		if b.Len() < 200 {
			b.WriteRune(r)
		}
	}
	if changed {
		sum := sha256.Sum256([]byte(src))
		b.WriteString("-x" + hex.EncodeToString(sum[:4]))
	}
	return b.String()
}

// SegmentName returns the object name of the segment holding offsets first..last.
func SegmentName(dlq bool, source string, partition int32, first, last int64) string {
	area := "segments"
	if dlq {
		area = "dlq"
	}
	return fmt.Sprintf("%s/%s/%d/%020d-%020d.seg", area, SanitizeSource(source), partition, first, last)
}

func isSegmentName(name string) bool {
	return (strings.HasPrefix(name, "segments/") || strings.HasPrefix(name, "dlq/")) &&
		strings.HasSuffix(name, ".seg") && store.ValidateName(name) == nil
}

// parallel runs fn(i) for i in [0,n) with at most v.conc at once; it returns the first error.
func (v *Vault) parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for range min(v.conc, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
loop:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
	wg.Wait()
	return first
}

func aeadFor(key []byte) (cipher.AEAD, error) { return newGCM(key) }

// lru is a small bounded least-recently-used map. Callers hold Vault.mu.
type lru[V any] struct {
	max int
	ll  *list.List
	m   map[string]*list.Element
}

type lruItem[V any] struct {
	k string
	v V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *lru[V]) get(k string) (V, bool) {
	if e, ok := c.m[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruItem[V]).v, true
	}
	var zero V
	return zero, false
}

func (c *lru[V]) put(k string, v V) {
	if e, ok := c.m[k]; ok {
		e.Value.(*lruItem[V]).v = v
		c.ll.MoveToFront(e)
		return
	}
	c.m[k] = c.ll.PushFront(&lruItem[V]{k, v})
	if c.ll.Len() > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		delete(c.m, e.Value.(*lruItem[V]).k)
	}
}

func (c *lru[V]) del(k string) {
	if e, ok := c.m[k]; ok {
		c.ll.Remove(e)
		delete(c.m, k)
	}
}
