package vault

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// segment is a parsed, authenticated segment header and index.
type segment struct {
	name         string
	hdr          *header
	entries      []entry
	recordsStart int64
	segAEAD      cipher.AEAD
}

func corrupt(name string, why string) error {
	return fmt.Errorf("%w: segment %s: %s", ErrCorrupt, name, why)
}

func (v *Vault) loadSegment(ctx context.Context, name string, useCache bool) (*segment, error) {
	if !isSegmentName(name) {
		return nil, fmt.Errorf("%w: not a segment name", ErrInvalid)
	}
	if useCache {
		v.mu.Lock()
		s, ok := v.idx.get(name)
		v.mu.Unlock()
		if ok {
			return s, nil
		}
	}
	pre, err := v.st.GetRange(ctx, name, 0, prefixSize)
	if err != nil {
		return nil, v.readErr(name, err)
	}
	hl, il, err := decodePrefix(pre)
	if err != nil {
		return nil, corrupt(name, err.Error())
	}
	rest, err := v.st.GetRange(ctx, name, prefixSize, hl+il)
	if err != nil {
		return nil, v.readErr(name, err)
	}
	s, err := v.parseSegment(name, append(pre, rest...), hl, il)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.idx.put(name, s)
	v.mu.Unlock()
	return s, nil
}

func (v *Vault) readErr(name string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: segment %s", ErrNotFound, name)
	case errors.Is(err, store.ErrRange):
		return corrupt(name, "truncated")
	}
	return fmt.Errorf("vault: read segment %s: %w", name, err)
}

// parseSegment authenticates prefix+header+index held in b (b may extend further).
func (v *Vault) parseSegment(name string, b []byte, hl, il int64) (*segment, error) {
	if int64(len(b)) < prefixSize+hl+il {
		return nil, corrupt(name, "truncated")
	}
	h, err := decodeHeader(b[prefixSize : prefixSize+hl])
	if err != nil {
		return nil, corrupt(name, err.Error())
	}
	if h.name != name {
		return nil, corrupt(name, "header names another segment")
	}
	kek, ok := v.kr.key(h.kekID)
	if !ok {
		return nil, fmt.Errorf("%w: segment %s is wrapped with key id %q", ErrUnknownKey, name, h.kekID)
	}
	segKey, err := unwrapKey(kek, adSegKey, h.kekID, name, h.wrappedKey)
	if err != nil {
		return nil, corrupt(name, fmt.Sprintf("segment key does not unwrap with key id %q", h.kekID))
	}
	a, err := aeadFor(segKey)
	if err != nil {
		return nil, err
	}
	aad := append(append([]byte(adIndex), b[:prefixSize+hl]...), 0)
	plain, err := open(a, b[prefixSize+hl:prefixSize+hl+il], aad)
	if err != nil {
		return nil, corrupt(name, "index failed authentication")
	}
	es, err := decodeIndex(plain, h)
	if err != nil {
		return nil, corrupt(name, err.Error())
	}
	return &segment{name: name, hdr: h, entries: es, recordsStart: prefixSize + hl + il, segAEAD: a}, nil
}

func (s *segment) ref(i int) Ref {
	e := s.entries[i]
	return Ref{Segment: s.name, Index: i, DLQ: strings.HasPrefix(s.name, "dlq/"), Source: s.hdr.source,
		Partition: s.hdr.partition, Offset: e.offset, Pseudonym: e.pseudonym, MessageType: e.msgType,
		Time: fmtTime(e.time), KeyID: e.keyID}
}

// Refs lists every record of a segment (metadata only, nothing is decrypted but the index).
func (v *Vault) Refs(ctx context.Context, segmentName string) ([]Ref, error) {
	s, err := v.loadSegment(ctx, segmentName, true)
	if err != nil {
		return nil, err
	}
	out := make([]Ref, len(s.entries))
	for i := range s.entries {
		out[i] = s.ref(i)
	}
	return out, nil
}

// Open decrypts record recordIndex of a segment with one range GET (after the segment
// index, which is cached). A patient whose key was erased gives ErrErased.
func (v *Vault) Open(ctx context.Context, segmentName string, recordIndex int) (Record, error) {
	rec, err := v.open(ctx, segmentName, recordIndex, true)
	if errors.Is(err, ErrCorrupt) {
		// The cached index may predate a rewrite (rotation, replay): retry fresh.
		rec, err = v.open(ctx, segmentName, recordIndex, false)
	}
	return rec, err
}

func (v *Vault) open(ctx context.Context, name string, i int, useCache bool) (Record, error) {
	s, err := v.loadSegment(ctx, name, useCache)
	if err != nil {
		return Record{}, err
	}
	if i < 0 || i >= len(s.entries) {
		return Record{}, fmt.Errorf("%w: segment %s has no record %d", ErrNotFound, name, i)
	}
	e := s.entries[i]
	sealed, err := v.st.GetRange(ctx, name, s.recordsStart+e.off, e.length)
	if err != nil {
		return Record{}, v.readErr(name, err)
	}
	return v.decryptRecord(ctx, s, i, sealed)
}

func (v *Vault) decryptRecord(ctx context.Context, s *segment, i int, sealed []byte) (Record, error) {
	e := s.entries[i]
	a := s.segAEAD
	if e.kind == kindPatient {
		k, err := v.lookupKey(ctx, e.pseudonym, e.kid)
		if err != nil {
			return Record{}, err
		}
		if a, err = aeadFor(k); err != nil {
			return Record{}, err
		}
	}
	plain, err := open(a, sealed, recordAD(s.name, i, e.pseudonym))
	if err != nil {
		return Record{}, corrupt(s.name, fmt.Sprintf("record %d failed authentication", i))
	}
	r := s.ref(i)
	return Record{Source: r.Source, Partition: r.Partition, Offset: r.Offset, Pseudonym: r.Pseudonym,
		MessageType: r.MessageType, Time: r.Time, Data: plain}, nil
}

// OpenRef is Open(ref.Segment, ref.Index).
func (v *Vault) OpenRef(ctx context.Context, r Ref) (Record, error) {
	return v.Open(ctx, r.Segment, r.Index)
}

// pseudonymsOf returns the sorted pseudonyms of a segment from its index object.
func (v *Vault) pseudonymsOf(ctx context.Context, seg string) ([]string, error) {
	v.mu.Lock()
	ps, ok := v.pidx.get(seg)
	v.mu.Unlock()
	if ok {
		return ps, nil
	}
	b, err := v.st.Get(ctx, indexName(seg))
	if err != nil {
		return nil, err
	}
	if ps, err = decodePseudonymIndex(b); err != nil {
		return nil, fmt.Errorf("%w: pseudonym index of %s: %v", ErrCorrupt, seg, err)
	}
	v.mu.Lock()
	v.pidx.put(seg, ps)
	v.mu.Unlock()
	return ps, nil
}

// FindByPseudonym lists the live records of a patient, oldest segment first. It reads
// the per-segment pseudonym index objects (index/<segment>, cached) and then the
// authenticated index of the segments that name the patient, so other segments are
// never read. Records whose data key was erased are not listed. Records stored twice
// (a replay with different segment bounds) are listed once.
func (v *Vault) FindByPseudonym(ctx context.Context, p string) ([]Ref, error) {
	if err := checkPseudonym(p); err != nil {
		return nil, err
	}
	kid, err := v.liveKid(ctx, p)
	if err != nil || kid == "" {
		return nil, err
	}
	var all []string
	if err := v.st.List(ctx, "index/", func(in store.Info) error {
		if n := strings.TrimPrefix(in.Name, "index/"); isSegmentName(n) {
			all = append(all, n)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("vault: list index: %w", err)
	}
	hit := make([]bool, len(all))
	if err := v.parallel(ctx, len(all), func(ctx context.Context, i int) error {
		ps, err := v.pseudonymsOf(ctx, all[i])
		if errors.Is(err, store.ErrNotFound) {
			return nil // purged meanwhile
		}
		if err != nil {
			return fmt.Errorf("vault: read pseudonym index: %w", err)
		}
		k := sort.SearchStrings(ps, p)
		hit[i] = k < len(ps) && ps[k] == p
		return nil
	}); err != nil {
		return nil, err
	}
	type key struct {
		dlq    bool
		src    string
		part   int32
		offset int64
	}
	seen := map[key]bool{}
	var out []Ref
	for i, n := range all {
		if !hit[i] {
			continue
		}
		s, err := v.loadSegment(ctx, n, true)
		if errors.Is(err, ErrNotFound) {
			continue // index left by an interrupted purge
		}
		if err != nil {
			return out, err
		}
		for i, e := range s.entries {
			if e.pseudonym != p || e.kid != kid {
				continue
			}
			r := s.ref(i)
			k := key{r.DLQ, r.Source, r.Partition, r.Offset}
			if !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.DLQ != b.DLQ {
			return !a.DLQ
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Partition != b.Partition {
			return a.Partition < b.Partition
		}
		return a.Offset < b.Offset
	})
	return out, nil
}

// Verify reads a whole segment and authenticates every byte: prefix, header, index,
// each record (patients whose key was erased are counted, not failed) and the length.
// It returns the number of records checked and of erased records.
func (v *Vault) Verify(ctx context.Context, segmentName string) (records, erased int, err error) {
	if !isSegmentName(segmentName) {
		return 0, 0, fmt.Errorf("%w: not a segment name", ErrInvalid)
	}
	b, err := v.st.Get(ctx, segmentName)
	if err != nil {
		return 0, 0, v.readErr(segmentName, err)
	}
	if len(b) < prefixSize {
		return 0, 0, corrupt(segmentName, "truncated")
	}
	hl, il, err := decodePrefix(b[:prefixSize])
	if err != nil {
		return 0, 0, corrupt(segmentName, err.Error())
	}
	s, err := v.parseSegment(segmentName, b, hl, il)
	if err != nil {
		return 0, 0, err
	}
	if uint64(int64(len(b))-s.recordsStart) != s.hdr.recordsLen {
		return 0, 0, corrupt(segmentName, "length does not match header")
	}
	for i, e := range s.entries {
		_, err := v.decryptRecord(ctx, s, i, b[s.recordsStart+e.off:s.recordsStart+e.off+e.length])
		switch {
		case errors.Is(err, ErrErased):
			erased++
		case err != nil:
			return i, erased, err
		}
	}
	return len(s.entries), erased, nil
}
