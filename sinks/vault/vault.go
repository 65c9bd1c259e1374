package vault

import (
	"container/list"
	"context"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
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
	// Store holds keys, segments and index markers. Required. If it implements
	// store.Creator, new data keys are created race-free across processes.
	Store store.Store
	// Keyring holds the key-encryption keys. Required; there are no default keys.
	Keyring *Keyring
	// KeyCacheSize bounds the in-memory cache of unwrapped data keys (default 100000).
	KeyCacheSize int
	// IndexCacheSize bounds the cache of decrypted segment indexes (default 256).
	IndexCacheSize int
	// Concurrency bounds parallel store requests (default 16).
	Concurrency int
}

// Vault is the encrypted store of identified originals. It is safe for concurrent use.
type Vault struct {
	st    store.Store
	kr    *Keyring
	conc  int
	locks [256]sync.Mutex // per-pseudonym stripes: key create/erase/rotate

	mu   sync.Mutex
	deks *lru[[]byte]
	idx  *lru[*segment]
}

// New returns a Vault.
func New(cfg Config) (*Vault, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Config.Store is nil", ErrInvalid)
	}
	if cfg.Keyring == nil || len(cfg.Keyring.ids) == 0 {
		return nil, fmt.Errorf("%w: Config.Keyring is required (there are no default keys)", ErrInvalid)
	}
	if cfg.KeyCacheSize <= 0 {
		cfg.KeyCacheSize = 100000
	}
	if cfg.IndexCacheSize <= 0 {
		cfg.IndexCacheSize = 256
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	return &Vault{st: cfg.Store, kr: cfg.Keyring, conc: cfg.Concurrency,
		deks: newLRU[[]byte](cfg.KeyCacheSize), idx: newLRU[*segment](cfg.IndexCacheSize)}, nil
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

func keyName(p string) string { return "keys/" + p }

func markerPrefix(p string) string { return "index/" + p + "/" }

func (v *Vault) stripe(p string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(p))
	return &v.locks[h.Sum32()%uint32(len(v.locks))]
}

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

// dek returns the unwrapped data key of pseudonym p. With create, a missing key is
// created (and made durable) first; without, a missing key is ErrErased.
func (v *Vault) dek(ctx context.Context, p string, create bool) ([]byte, bool, error) {
	v.mu.Lock()
	k, ok := v.deks.get(p)
	v.mu.Unlock()
	if ok {
		return k, false, nil
	}
	l := v.stripe(p)
	l.Lock()
	defer l.Unlock()
	v.mu.Lock()
	k, ok = v.deks.get(p)
	v.mu.Unlock()
	if ok {
		return k, false, nil
	}
	created := false
	for attempt := 0; ; attempt++ {
		raw, err := v.st.Get(ctx, keyName(p))
		if err == nil {
			k, err = v.unwrapDEK(p, raw)
			if err != nil {
				return nil, false, err
			}
			break
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("vault: read data key: %w", err)
		}
		if !create {
			return nil, false, fmt.Errorf("%w: pseudonym %s", ErrErased, p)
		}
		if attempt > 3 {
			return nil, false, errors.New("vault: data key creation keeps racing")
		}
		k, err = randomKey()
		if err != nil {
			return nil, false, err
		}
		obj, err := v.wrapDEK(p, k)
		if err != nil {
			return nil, false, err
		}
		if c, ok := v.st.(store.Creator); ok {
			err = c.Create(ctx, keyName(p), obj, store.PutOptions{})
			if errors.Is(err, store.ErrExists) {
				continue // another writer made it first: use theirs
			}
		} else {
			err = v.st.Put(ctx, keyName(p), obj, store.PutOptions{})
		}
		if err != nil {
			return nil, false, fmt.Errorf("vault: store data key: %w", err)
		}
		created = true
		break
	}
	v.mu.Lock()
	v.deks.put(p, k)
	v.mu.Unlock()
	return k, created, nil
}

func (v *Vault) wrapDEK(p string, k []byte) ([]byte, error) {
	id := v.kr.Newest()
	kek, _ := v.kr.key(id)
	w, err := wrapKey(kek, adDEK, id, p, k)
	if err != nil {
		return nil, err
	}
	return encodeDEK(id, w), nil
}

func (v *Vault) unwrapDEK(p string, raw []byte) ([]byte, error) {
	id, w, err := decodeDEK(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: data key object of pseudonym %s: %v", ErrCorrupt, p, err)
	}
	kek, ok := v.kr.key(id)
	if !ok {
		return nil, fmt.Errorf("%w: data key of pseudonym %s is wrapped with key id %q", ErrUnknownKey, p, id)
	}
	k, err := unwrapKey(kek, adDEK, id, p, w)
	if err != nil {
		return nil, fmt.Errorf("%w: data key of pseudonym %s (key id %q)", ErrCorrupt, p, id)
	}
	return k, nil
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
