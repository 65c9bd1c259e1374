package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
}

// Erase crypto-shreds a patient: it deletes the data key keys/<pseudonym> (every
// version, on versioned buckets) and the patient's index markers. The segments are not
// rewritten; the patient's records in them can no longer be decrypted (ErrErased),
// while other patients' records still read. Other processes holding the key in their
// cache keep it until they restart; Erase and Rotate must not run at the same time in
// different processes.
func (v *Vault) Erase(ctx context.Context, p string) (EraseResult, error) {
	if err := checkPseudonym(p); err != nil {
		return EraseResult{}, err
	}
	res := EraseResult{Pseudonym: p}
	l := v.stripe(p)
	l.Lock()
	defer l.Unlock()
	if _, err := v.st.Stat(ctx, keyName(p)); err == nil {
		res.KeyDeleted = true
	} else if !errors.Is(err, store.ErrNotFound) {
		return res, fmt.Errorf("vault: erase: %w", err)
	}
	if err := v.st.Delete(ctx, keyName(p)); err != nil {
		return res, fmt.Errorf("vault: erase: delete data key: %w", err)
	}
	v.mu.Lock()
	v.deks.del(p)
	v.mu.Unlock()
	pre := markerPrefix(p)
	var markers []string
	if err := v.st.List(ctx, pre, func(in store.Info) error {
		markers = append(markers, in.Name)
		return nil
	}); err != nil {
		return res, fmt.Errorf("vault: erase: list index: %w", err)
	}
	for _, m := range markers {
		res.Segments = append(res.Segments, strings.TrimPrefix(m, pre))
	}
	err := v.parallel(ctx, len(markers), func(ctx context.Context, i int) error {
		return v.st.Delete(ctx, markers[i])
	})
	if err != nil {
		return res, fmt.Errorf("vault: erase: delete index marker: %w", err)
	}
	return res, nil
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
		ps := map[string]bool{}
		for _, e := range s.entries {
			newest = max(newest, e.time)
			if e.pseudonym != "" {
				ps[e.pseudonym] = true
			}
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
		var markers []string
		for p := range ps {
			markers = append(markers, markerPrefix(p)+n)
		}
		if err := v.parallel(ctx, len(markers), func(ctx context.Context, i int) error {
			return v.st.Delete(ctx, markers[i])
		}); err != nil {
			return res, fmt.Errorf("vault: purge index markers of %s: %w", n, err)
		}
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
	var ps []string
	if err := v.st.List(ctx, "keys/", func(in store.Info) error {
		ps = append(ps, strings.TrimPrefix(in.Name, "keys/"))
		return nil
	}); err != nil {
		return res, fmt.Errorf("vault: rotate: list keys: %w", err)
	}
	for _, p := range ps {
		if !ValidPseudonym(p) {
			continue
		}
		done, err := v.rotateKey(ctx, p, newest)
		if err != nil {
			return res, err
		}
		if done {
			res.Keys = append(res.Keys, p)
		}
	}
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

func (v *Vault) rotateKey(ctx context.Context, p, newest string) (bool, error) {
	l := v.stripe(p)
	l.Lock()
	defer l.Unlock()
	raw, err := v.st.Get(ctx, keyName(p))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // erased meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("vault: rotate: read data key: %w", err)
	}
	id, _, err := decodeDEK(raw)
	if err != nil {
		return false, fmt.Errorf("%w: data key object of pseudonym %s", ErrCorrupt, p)
	}
	if id == newest {
		return false, nil
	}
	k, err := v.unwrapDEK(p, raw)
	if err != nil {
		return false, err
	}
	obj, err := v.wrapDEK(p, k)
	if err != nil {
		return false, err
	}
	if err := v.st.Put(ctx, keyName(p), obj, store.PutOptions{}); err != nil {
		return false, fmt.Errorf("vault: rotate: store data key: %w", err)
	}
	return true, nil
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
