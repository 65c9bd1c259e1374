package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// Data keys live in keyShards shards chosen by a hash of the pseudonym. Each shard is
// an append-only log of key objects keys/<shard>/<gen:020>: a delta adds the keys
// created by one flush, a snapshot replaces every older object of the shard (erase,
// rotation, compaction), after which the older objects are deleted. Generations are
// created with store.Creator (If-None-Match), so the log is linearizable across
// processes: a writer appends only after reading every earlier generation, and a
// writer whose Create loses the race re-reads and uses the keys the winner created.
// Hence two processes never create different keys for the same patient, and a flush
// costs one small PUT per shard that gains new patients, not one per patient.
const (
	keyShards = 16
	kidSize   = 8
	// keyResyncAfter: a reader that misses a key re-reads the shard at most this often.
	keyResyncAfter = time.Second
)

// maxKeyGens: when a shard has more objects than this, the writer compacts it into a
// snapshot (a variable so that tests can lower it).
var maxKeyGens = 64

// keyEntry is one patient's current data key.
type keyEntry struct {
	keyRecord
	dek []byte // unwrapped lazily
}

// keyShard is the cached state of one shard. Its mutex serializes key creation, erase
// and rotation for the shard within the process.
type keyShard struct {
	mu     sync.Mutex
	loaded bool
	synced time.Time
	gens   []uint64 // live generations, ascending (the first may be a snapshot)
	byP    map[string]*keyEntry
}

func shardOf(p string) int {
	h := sha256.Sum256([]byte(p))
	return int(h[0]) % keyShards
}

func shardPrefix(s int) string { return fmt.Sprintf("keys/%02x/", s) }

func keyObjName(s int, gen uint64) string { return fmt.Sprintf("%s%020d", shardPrefix(s), gen) }

func kidSubject(p, kid string) string { return p + "/" + fmt.Sprintf("%x", kid) }

func (sh *keyShard) maxGen() uint64 {
	if len(sh.gens) == 0 {
		return 0
	}
	return sh.gens[len(sh.gens)-1]
}

// syncShard brings sh up to date with the store (caller holds sh.mu): it reads the
// generations newer than the ones applied, or everything after a new snapshot.
func (v *Vault) syncShard(ctx context.Context, s int, sh *keyShard) error {
	for attempt := 0; ; attempt++ {
		err := v.syncShardOnce(ctx, s, sh)
		if !errors.Is(err, store.ErrNotFound) || attempt >= 5 {
			if err != nil {
				return fmt.Errorf("vault: read data keys of shard %02x: %w", s, err)
			}
			sh.synced = time.Now()
			return nil
		}
		// An object vanished between List and Get: a snapshot superseded it; start over.
		sh.loaded = false
	}
}

func (v *Vault) syncShardOnce(ctx context.Context, s int, sh *keyShard) error {
	pre := shardPrefix(s)
	var listed []uint64
	if err := v.st.List(ctx, pre, func(in store.Info) error {
		g, err := strconv.ParseUint(strings.TrimPrefix(in.Name, pre), 10, 64)
		if err == nil && keyObjName(s, g) == in.Name {
			listed = append(listed, g)
		}
		return nil
	}); err != nil {
		return err
	}
	sort.Slice(listed, func(i, j int) bool { return listed[i] < listed[j] })
	var fetch []uint64
	for _, g := range listed {
		if !sh.loaded || g > sh.maxGen() {
			fetch = append(fetch, g)
		}
	}
	objs := make([][]keyRecord, len(fetch))
	kinds := make([]byte, len(fetch))
	err := v.parallel(ctx, len(fetch), func(ctx context.Context, i int) error {
		b, err := v.st.Get(ctx, keyObjName(s, fetch[i]))
		if err != nil {
			return err
		}
		kinds[i], objs[i], err = decodeKeyObject(b)
		if err != nil {
			return fmt.Errorf("%w: key object %s: %v", ErrCorrupt, keyObjName(s, fetch[i]), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !sh.loaded {
		sh.byP, sh.gens = map[string]*keyEntry{}, nil
	}
	// Everything before the newest snapshot is superseded.
	start := 0
	for i := range fetch {
		if kinds[i] == keyObjSnapshot {
			start = i
			sh.byP, sh.gens = map[string]*keyEntry{}, nil
		}
	}
	for i := start; i < len(fetch); i++ {
		if kinds[i] == keyObjSnapshot {
			sh.byP = map[string]*keyEntry{}
		}
		for _, r := range objs[i] {
			if _, dup := sh.byP[r.pseudonym]; !dup { // first key wins (only stores without Creator can race)
				sh.byP[r.pseudonym] = &keyEntry{keyRecord: r}
			}
		}
		sh.gens = append(sh.gens, fetch[i])
	}
	sh.loaded = true
	return nil
}

func (v *Vault) shard(s int) *keyShard { return &v.shards[s] }

// create writes a key object as generation gen of shard s, race-free when the store
// implements store.Creator. It reports false when another writer took that generation.
func (v *Vault) createKeyObject(ctx context.Context, s int, gen uint64, obj []byte) (bool, error) {
	name := keyObjName(s, gen)
	var err error
	if c, ok := v.st.(store.Creator); ok {
		err = c.Create(ctx, name, obj, store.PutOptions{})
		if errors.Is(err, store.ErrExists) {
			return false, nil
		}
	} else {
		err = v.st.Put(ctx, name, obj, store.PutOptions{})
	}
	if err != nil {
		return false, fmt.Errorf("vault: store data keys of shard %02x: %w", s, err)
	}
	return true, nil
}

func (v *Vault) newKeyRecord(p string) (keyRecord, []byte, error) {
	k, err := randomKey()
	if err != nil {
		return keyRecord{}, nil, err
	}
	kid := make([]byte, kidSize)
	if _, err := rand.Read(kid); err != nil {
		return keyRecord{}, nil, fmt.Errorf("vault: random key id: %w", err)
	}
	r := keyRecord{pseudonym: p, kid: string(kid), kekID: v.kr.Newest()}
	kek, _ := v.kr.key(r.kekID)
	if r.wrapped, err = wrapKey(kek, adDEK, r.kekID, kidSubject(p, r.kid), k); err != nil {
		return keyRecord{}, nil, err
	}
	return r, k, nil
}

// unwrap returns e's data key (caller holds the shard lock).
func (v *Vault) unwrap(e *keyEntry) ([]byte, error) {
	if e.dek != nil {
		return e.dek, nil
	}
	kek, ok := v.kr.key(e.kekID)
	if !ok {
		return nil, fmt.Errorf("%w: data key of pseudonym %s is wrapped with key id %q", ErrUnknownKey, e.pseudonym, e.kekID)
	}
	k, err := unwrapKey(kek, adDEK, e.kekID, kidSubject(e.pseudonym, e.kid), e.wrapped)
	if err != nil {
		return nil, fmt.Errorf("%w: data key of pseudonym %s (key id %q)", ErrCorrupt, e.pseudonym, e.kekID)
	}
	e.dek = k
	return k, nil
}

// patientKey is a resolved data key for sealing.
type patientKey struct {
	kid     string
	dek     []byte
	created bool
}

// ensureKeys returns the data keys of ps (all in shard s), creating the missing ones
// durably in one key object.
func (v *Vault) ensureKeys(ctx context.Context, s int, ps []string) (map[string]patientKey, error) {
	sh := v.shard(s)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.loaded {
		if err := v.syncShard(ctx, s, sh); err != nil {
			return nil, err
		}
	}
	out := make(map[string]patientKey, len(ps))
	fresh := map[string]keyRecord{}
	freshKey := map[string][]byte{}
	for attempt := 0; ; attempt++ {
		var pending []keyRecord
		for _, p := range ps {
			if _, ok := sh.byP[p]; ok {
				continue
			}
			r, ok := fresh[p]
			if !ok {
				var k []byte
				var err error
				if r, k, err = v.newKeyRecord(p); err != nil {
					return nil, err
				}
				fresh[p], freshKey[p] = r, k
			}
			pending = append(pending, r)
		}
		if len(pending) == 0 {
			break
		}
		if attempt > 8 {
			return nil, errors.New("vault: data key creation keeps racing")
		}
		gen := sh.maxGen() + 1
		ok, err := v.createKeyObject(ctx, s, gen, encodeKeyObject(keyObjDelta, pending))
		if err != nil {
			return nil, err
		}
		if !ok {
			// Another writer took this generation: read it, use its keys, retry the rest.
			// (If the store retried our own request, the generation is ours: same kids.)
			if err := v.syncShard(ctx, s, sh); err != nil {
				return nil, err
			}
			for _, r := range pending {
				if e := sh.byP[r.pseudonym]; e != nil && e.kid == r.kid {
					e.dek = freshKey[r.pseudonym]
					out[r.pseudonym] = patientKey{kid: r.kid, dek: e.dek, created: true}
				}
			}
			continue
		}
		sh.gens = append(sh.gens, gen)
		for _, r := range pending {
			sh.byP[r.pseudonym] = &keyEntry{keyRecord: r, dek: freshKey[r.pseudonym]}
			out[r.pseudonym] = patientKey{kid: r.kid, dek: freshKey[r.pseudonym], created: true}
		}
		break
	}
	for _, p := range ps {
		if _, ok := out[p]; ok {
			continue
		}
		e := sh.byP[p]
		k, err := v.unwrap(e)
		if err != nil {
			return nil, err
		}
		out[p] = patientKey{kid: e.kid, dek: k}
	}
	if len(sh.gens) > maxKeyGens {
		_, _ = v.snapshotShard(ctx, s, sh, "", "") // best effort: the deltas stay valid
	}
	return out, nil
}

// lookupKey returns the live data key of p if its id is kid (reading the shard, and
// re-reading it once on a miss); a missing key is ErrErased.
func (v *Vault) lookupKey(ctx context.Context, p, kid string) ([]byte, error) {
	s := shardOf(p)
	sh := v.shard(s)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.loaded {
		if err := v.syncShard(ctx, s, sh); err != nil {
			return nil, err
		}
	}
	e := sh.byP[p]
	if (e == nil || e.kid != kid) && time.Since(sh.synced) >= keyResyncAfter {
		if err := v.syncShard(ctx, s, sh); err != nil {
			return nil, err
		}
		e = sh.byP[p]
	}
	if e == nil || e.kid != kid {
		return nil, fmt.Errorf("%w: pseudonym %s", ErrErased, p)
	}
	return v.unwrap(e)
}

// liveKid returns the id of p's current data key ("" when there is none).
func (v *Vault) liveKid(ctx context.Context, p string) (string, error) {
	s := shardOf(p)
	sh := v.shard(s)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.loaded || time.Since(sh.synced) >= keyResyncAfter {
		if err := v.syncShard(ctx, s, sh); err != nil {
			return "", err
		}
	}
	if e := sh.byP[p]; e != nil {
		return e.kid, nil
	}
	return "", nil
}

// snapshotShard writes a snapshot of shard s without pseudonym drop ("" keeps all),
// with every key wrapped under rewrapTo ("" keeps each key's KEK), then deletes the
// superseded objects (every version). Caller holds sh.mu. It returns the pseudonyms
// whose key was rewrapped.
func (v *Vault) snapshotShard(ctx context.Context, s int, sh *keyShard, drop, rewrapTo string) ([]string, error) {
	for attempt := 0; ; attempt++ {
		if err := v.syncShard(ctx, s, sh); err != nil {
			return nil, err
		}
		var rewrapped []string
		recs := make([]keyRecord, 0, len(sh.byP))
		for p, e := range sh.byP {
			if p == drop {
				continue
			}
			r := e.keyRecord
			if rewrapTo != "" && r.kekID != rewrapTo {
				k, err := v.unwrap(e)
				if err != nil {
					return nil, err
				}
				kek, _ := v.kr.key(rewrapTo)
				w, err := wrapKey(kek, adDEK, rewrapTo, kidSubject(p, r.kid), k)
				if err != nil {
					return nil, err
				}
				r.kekID, r.wrapped = rewrapTo, w
				rewrapped = append(rewrapped, p)
			}
			recs = append(recs, r)
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].pseudonym < recs[j].pseudonym })
		gen := sh.maxGen() + 1
		ok, err := v.createKeyObject(ctx, s, gen, encodeKeyObject(keyObjSnapshot, recs))
		if err != nil {
			return nil, err
		}
		if !ok {
			if attempt > 8 {
				return nil, errors.New("vault: key snapshot keeps racing")
			}
			continue
		}
		old := append([]uint64(nil), sh.gens...)
		byP := make(map[string]*keyEntry, len(recs))
		for _, r := range recs {
			byP[r.pseudonym] = &keyEntry{keyRecord: r}
		}
		sh.byP, sh.gens = byP, []uint64{gen}
		if err := v.parallel(ctx, len(old), func(ctx context.Context, i int) error {
			return v.st.Delete(ctx, keyObjName(s, old[i]))
		}); err != nil {
			return rewrapped, fmt.Errorf("vault: delete superseded data keys of shard %02x: %w", s, err)
		}
		sort.Strings(rewrapped)
		return rewrapped, nil
	}
}
