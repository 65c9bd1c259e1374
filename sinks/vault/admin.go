package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// EraseResult reports what Erase touched, for the audit log.
type EraseResult struct {
	Pseudonym string
	// KeyDeleted is true when a data key existed and was deleted.
	KeyDeleted bool
	// Segments are the segments that held the patient's records (now unreadable for them).
	Segments []string
	// Records are the patient's records made unreadable (metadata only).
	Records []Ref
}

// Erase crypto-shreds a patient: it writes a snapshot of the patient's key shard
// without the patient's data key and deletes the superseded key objects (every
// version, on versioned buckets). The segments are not rewritten; the patient's
// records in them can no longer be decrypted (ErrErased), while other patients'
// records still read. Other processes holding the key in their cache keep it until
// they restart (a writer keeps sealing the patient's new records under the deleted
// key, so those are unreadable too); Erase and Rotate must not run at the same time
// in different processes.
func (v *Vault) Erase(ctx context.Context, p string) (EraseResult, error) {
	if err := checkPseudonym(p); err != nil {
		return EraseResult{}, err
	}
	res := EraseResult{Pseudonym: p}
	// Listing what is erased must not block the erasure itself (a corrupt segment,
	// say): the key is deleted anyway and the listing error returned afterwards.
	refs, listErr := v.FindByPseudonym(ctx, p)
	if listErr != nil {
		listErr = fmt.Errorf("vault: erase: listing the patient's records: %w", listErr)
	}
	res.Records = refs
	for _, r := range refs {
		if len(res.Segments) == 0 || res.Segments[len(res.Segments)-1] != r.Segment {
			res.Segments = append(res.Segments, r.Segment)
		}
	}
	sort.Strings(res.Segments)
	res.Segments = slices.Compact(res.Segments)
	s := shardOf(p)
	sh := v.shard(s)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if err := v.syncShard(ctx, s, sh); err != nil {
		return res, fmt.Errorf("vault: erase: %w", err)
	}
	if sh.byP[p] == nil {
		return res, listErr
	}
	if _, err := v.snapshotShard(ctx, s, sh, p, ""); err != nil {
		return res, fmt.Errorf("vault: erase: %w", err)
	}
	res.KeyDeleted = sh.byP[p] == nil
	if !res.KeyDeleted {
		return res, errors.New("vault: erase: a new data key appeared for the patient meanwhile")
	}
	return res, listErr
}

// PurgeResult reports what Purge deleted or could not read, for the audit log.
type PurgeResult struct {
	Segments []string
	Records  int
	// Skipped are segments that could not be read (corrupt or unknown key); kept.
	Skipped []string
}

// Purge deletes every segment (and DLQ segment) whose newest record time is before
// `before`, and the index markers pointing at it. Records without a time count as
// infinitely old.
func (v *Vault) Purge(ctx context.Context, before time.Time) (PurgeResult, error) {
	var res PurgeResult
	segs, err := v.listSegments(ctx)
	if err != nil {
		return res, err
	}
	for _, n := range segs {
		s, err := v.loadSegment(ctx, n, false)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnknownKey) {
				res.Skipped = append(res.Skipped, n)
				continue
			}
			return res, err
		}
		var newest int64
		for _, e := range s.entries {
			newest = max(newest, e.time)
		}
		if newest >= before.UnixNano() {
			continue
		}
		if err := v.st.Delete(ctx, n); err != nil {
			return res, fmt.Errorf("vault: purge %s: %w", n, err)
		}
		v.mu.Lock()
		v.idx.del(n)
		v.mu.Unlock()
		res.Segments = append(res.Segments, n)
		res.Records += len(s.entries)
		if err := v.st.Delete(ctx, indexName(n)); err != nil {
			return res, fmt.Errorf("vault: purge pseudonym index of %s: %w", n, err)
		}
		v.mu.Lock()
		v.pidx.del(n)
		v.mu.Unlock()
	}
	return res, nil
}

func (v *Vault) listSegments(ctx context.Context) ([]string, error) {
	var segs []string
	for _, pre := range []string{"segments/", "dlq/"} {
		if err := v.st.List(ctx, pre, func(in store.Info) error {
			if isSegmentName(in.Name) {
				segs = append(segs, in.Name)
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("vault: list %s: %w", pre, err)
		}
	}
	return segs, nil
}

// RotateResult reports what Rotate rewrapped, for the audit log.
type RotateResult struct {
	// KeyID is the key-encryption key everything is now wrapped with.
	KeyID string
	// Keys are the pseudonyms whose data key was rewrapped.
	Keys []string
	// Segments are the segments whose segment key was rewrapped (the object is rewritten;
	// records are unchanged).
	Segments []string
}

// Rotate rewraps every data key and segment key that is not wrapped with the newest
// key-encryption key. Until it has run, data under older key ids stays readable as
// long as those keys remain in the keyring.
func (v *Vault) Rotate(ctx context.Context) (RotateResult, error) {
	newest := v.kr.Newest()
	res := RotateResult{KeyID: newest}
	for sIdx := range keyShards {
		ps, err := v.rotateShard(ctx, sIdx, newest)
		if err != nil {
			return res, err
		}
		res.Keys = append(res.Keys, ps...)
	}
	sort.Strings(res.Keys)
	segs, err := v.listSegments(ctx)
	if err != nil {
		return res, err
	}
	for _, n := range segs {
		done, err := v.rotateSegment(ctx, n, newest)
		if err != nil {
			return res, err
		}
		if done {
			res.Segments = append(res.Segments, n)
		}
	}
	return res, nil
}

// rotateShard rewraps the data keys of a shard that are not under the newest KEK
// (one snapshot object for the whole shard).
func (v *Vault) rotateShard(ctx context.Context, s int, newest string) ([]string, error) {
	sh := v.shard(s)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if err := v.syncShard(ctx, s, sh); err != nil {
		return nil, fmt.Errorf("vault: rotate: %w", err)
	}
	stale := false
	for _, e := range sh.byP {
		stale = stale || e.kekID != newest
	}
	if !stale {
		return nil, nil
	}
	ps, err := v.snapshotShard(ctx, s, sh, "", newest)
	if err != nil {
		return nil, fmt.Errorf("vault: rotate: %w", err)
	}
	return ps, nil
}

func (v *Vault) rotateSegment(ctx context.Context, name, newest string) (bool, error) {
	pre, err := v.st.GetRange(ctx, name, 0, prefixSize)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return false, v.readErr(name, err)
	}
	hl, _, err := decodePrefix(pre)
	if err != nil {
		return false, corrupt(name, err.Error())
	}
	hb, err := v.st.GetRange(ctx, name, prefixSize, hl)
	if err != nil {
		return false, v.readErr(name, err)
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return false, corrupt(name, err.Error())
	}
	if h.kekID == newest {
		return false, nil
	}
	b, err := v.st.Get(ctx, name)
	if err != nil {
		return false, v.readErr(name, err)
	}
	hl, il, err := decodePrefix(b[:min(len(b), prefixSize)])
	if err != nil {
		return false, corrupt(name, err.Error())
	}
	s, err := v.parseSegment(name, b, hl, il)
	if err != nil {
		return false, err
	}
	if uint64(int64(len(b))-s.recordsStart) != s.hdr.recordsLen {
		return false, corrupt(name, "length does not match header")
	}
	segKey, err := v.segKey(s)
	if err != nil {
		return false, err
	}
	kek, _ := v.kr.key(newest)
	wrapped, err := wrapKey(kek, adSegKey, newest, name, segKey)
	if err != nil {
		return false, err
	}
	nh := *s.hdr
	nh.kekID, nh.wrappedKey = newest, wrapped
	obj, err := buildSegment(s.segAEAD, &nh, encodeIndex(s.entries), b[s.recordsStart:])
	if err != nil {
		return false, err
	}
	if err := v.st.Put(ctx, name, obj, store.PutOptions{}); err != nil {
		return false, fmt.Errorf("vault: rotate segment %s: %w", name, err)
	}
	v.mu.Lock()
	v.idx.del(name)
	v.mu.Unlock()
	return true, nil
}

func (v *Vault) segKey(s *segment) ([]byte, error) {
	kek, ok := v.kr.key(s.hdr.kekID)
	if !ok {
		return nil, fmt.Errorf("%w: segment %s", ErrUnknownKey, s.name)
	}
	k, err := unwrapKey(kek, adSegKey, s.hdr.kekID, s.name, s.hdr.wrappedKey)
	if err != nil {
		return nil, corrupt(s.name, "segment key does not unwrap")
	}
	return k, nil
}
