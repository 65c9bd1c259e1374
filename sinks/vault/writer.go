package vault

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// MaxRecordSize bounds Record.Data.
const MaxRecordSize = 64 << 20

// ErrOffsetOrder: a record's offset is not after the previous one of its partition in
// this Writer. After a consumer rewind, use a new Writer (or Discard the partition).
var ErrOffsetOrder = errors.New("vault: offsets must increase within a partition")

// WriterConfig bounds segments. Zero values take the defaults.
type WriterConfig struct {
	// MaxBytes of plaintext per segment (default 8 MiB).
	MaxBytes int64
	// MaxRecords per segment (default 10000).
	MaxRecords int
	// MaxAge of the oldest buffered record before FlushDue/Write flushes (default 5s).
	MaxAge time.Duration
	// OnFlush, if set, is called after each segment is durably stored.
	OnFlush func(FlushResult)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// FlushResult reports one durably stored segment: what to audit and which source
// offsets are now safe to commit.
type FlushResult struct {
	Segment     string
	DLQ         bool
	Source      string
	Partition   int32
	FirstOffset int64
	LastOffset  int64
	Records     int
	Bytes       int64
	// Pseudonyms are the distinct patients with records in the segment, sorted.
	Pseudonyms []string
	// NewKeys are the pseudonyms whose data key was created by this flush.
	NewKeys []string
	// Watermark is the highest offset of the partition such that it and every earlier
	// offset given to this Writer are durable (in segments or the DLQ): commit Watermark+1.
	Watermark int64
}

type partKey struct {
	source    string
	partition int32
}

type batchKey struct {
	partKey
	dlq bool
}

type batch struct {
	recs    []Record
	bytes   int64
	started time.Time
}

type partState struct {
	firstSeen, lastSeen int64
	seen                bool
}

// Writer batches records per source partition into segments. It is safe for
// concurrent use; flushing holds the Writer's lock.
type Writer struct {
	v   *Vault
	cfg WriterConfig

	mu      sync.Mutex
	batches map[batchKey]*batch
	parts   map[partKey]*partState
}

// NewWriter returns a Writer that stores segments in v.
func (v *Vault) NewWriter(cfg WriterConfig) *Writer {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 8 << 20
	}
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 10000
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Writer{v: v, cfg: cfg, batches: map[batchKey]*batch{}, parts: map[partKey]*partState{}}
}

var msgTypeRe = regexp.MustCompile(`^[A-Za-z0-9^_.:-]{0,64}$`)

func validateRecord(r *Record) error {
	switch {
	case r.Source == "":
		return fmt.Errorf("%w: record source is empty", ErrInvalid)
	case len(r.Source) > 249:
		return fmt.Errorf("%w: record source longer than 249 bytes", ErrInvalid)
	case r.Partition < 0 || r.Offset < 0:
		return fmt.Errorf("%w: negative partition or offset", ErrInvalid)
	case r.Pseudonym != "" && !ValidPseudonym(r.Pseudonym):
		return fmt.Errorf("%w: pseudonym must be 1-128 characters of [A-Za-z0-9._=~-] not starting with '.'", ErrInvalid)
	case !msgTypeRe.MatchString(r.MessageType):
		return fmt.Errorf("%w: message type must be at most 64 characters of [A-Za-z0-9^_.:-]", ErrInvalid)
	case len(r.Data) > MaxRecordSize:
		return fmt.Errorf("%w: record larger than %d bytes", ErrInvalid, MaxRecordSize)
	}
	return nil
}

// Write buffers a record for its partition's segment, flushing that segment first if
// the record would not fit, and after it if the segment is full or old. It returns the
// segments that became durable. Data is copied.
func (w *Writer) Write(ctx context.Context, rec Record) ([]FlushResult, error) {
	return w.add(ctx, rec, false)
}

// WriteDLQ is Write for records that failed processing; they go to dlq/ segments,
// encrypted the same way. An empty pseudonym uses the segment's own key.
func (w *Writer) WriteDLQ(ctx context.Context, rec Record) ([]FlushResult, error) {
	return w.add(ctx, rec, true)
}

func (w *Writer) add(ctx context.Context, rec Record, dlq bool) ([]FlushResult, error) {
	if err := validateRecord(&rec); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	pk := partKey{rec.Source, rec.Partition}
	ps := w.parts[pk]
	if ps == nil {
		ps = &partState{}
		w.parts[pk] = ps
	}
	if ps.seen && rec.Offset <= ps.lastSeen {
		return nil, fmt.Errorf("%w: %s/%d offset %d after %d", ErrOffsetOrder, SanitizeSource(rec.Source), rec.Partition, rec.Offset, ps.lastSeen)
	}
	var out []FlushResult
	bk := batchKey{pk, dlq}
	b := w.batches[bk]
	if b != nil && len(b.recs) > 0 && b.bytes+int64(len(rec.Data)) > w.cfg.MaxBytes {
		r, err := w.flushLocked(ctx, bk)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		b = nil
	}
	if b == nil {
		b = &batch{started: w.cfg.Now()}
		w.batches[bk] = b
	}
	rec.Data = append([]byte(nil), rec.Data...)
	b.recs = append(b.recs, rec)
	b.bytes += int64(len(rec.Data))
	if !ps.seen {
		ps.firstSeen = rec.Offset
	}
	ps.lastSeen, ps.seen = rec.Offset, true
	if len(b.recs) >= w.cfg.MaxRecords || b.bytes >= w.cfg.MaxBytes || w.cfg.Now().Sub(b.started) >= w.cfg.MaxAge {
		r, err := w.flushLocked(ctx, bk)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Flush stores every buffered segment and returns when all are durable. On error the
// unflushed batches stay buffered, so Flush can be retried.
func (w *Writer) Flush(ctx context.Context) ([]FlushResult, error) {
	return w.flushWhere(ctx, func(*batch) bool { return true })
}

// FlushDue stores the segments whose oldest record is at least MaxAge old. Call it
// periodically (see Run) so quiet partitions still become durable.
func (w *Writer) FlushDue(ctx context.Context) ([]FlushResult, error) {
	now := w.cfg.Now()
	return w.flushWhere(ctx, func(b *batch) bool { return now.Sub(b.started) >= w.cfg.MaxAge })
}

// Run calls FlushDue every MaxAge/4 until ctx ends, reporting errors to onErr (may be nil).
func (w *Writer) Run(ctx context.Context, onErr func(error)) {
	t := time.NewTicker(max(w.cfg.MaxAge/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := w.FlushDue(ctx); err != nil && onErr != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

// Discard drops the unflushed records of a partition (both areas) and forgets its
// offsets, for a consumer that rewinds the partition.
func (w *Writer) Discard(source string, partition int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pk := partKey{source, partition}
	delete(w.batches, batchKey{pk, false})
	delete(w.batches, batchKey{pk, true})
	delete(w.parts, pk)
}

// Durable returns the partition's watermark (see FlushResult.Watermark); ok is false
// when none of the offsets this Writer received for the partition is durable yet.
func (w *Writer) Durable(source string, partition int32) (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pk := partKey{source, partition}
	wm := w.watermarkLocked(pk)
	ps := w.parts[pk]
	return wm, ps != nil && ps.seen && wm >= ps.firstSeen
}

func (w *Writer) watermarkLocked(pk partKey) int64 {
	ps := w.parts[pk]
	if ps == nil || !ps.seen {
		return -1
	}
	wm := ps.lastSeen
	for _, dlq := range []bool{false, true} {
		if b := w.batches[batchKey{pk, dlq}]; b != nil && len(b.recs) > 0 {
			wm = min(wm, b.recs[0].Offset-1)
		}
	}
	return wm
}

func (w *Writer) flushWhere(ctx context.Context, pred func(*batch) bool) ([]FlushResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var keys []batchKey
	for k, b := range w.batches {
		if len(b.recs) > 0 && pred(b) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.source != b.source {
			return a.source < b.source
		}
		if a.partition != b.partition {
			return a.partition < b.partition
		}
		return !a.dlq && b.dlq
	})
	var out []FlushResult
	for _, k := range keys {
		r, err := w.flushLocked(ctx, k)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (w *Writer) flushLocked(ctx context.Context, bk batchKey) (FlushResult, error) {
	b := w.batches[bk]
	res, err := w.v.writeSegment(ctx, bk.dlq, bk.source, bk.partition, b.recs)
	if err != nil {
		return FlushResult{}, err
	}
	delete(w.batches, bk)
	res.Bytes = b.bytes
	res.Watermark = w.watermarkLocked(bk.partKey)
	if w.cfg.OnFlush != nil {
		w.cfg.OnFlush(res)
	}
	return res, nil
}

// writeSegment seals recs (one partition, increasing offsets) into one segment object,
// after making every needed data key durable, and writes the index markers.
func (v *Vault) writeSegment(ctx context.Context, dlq bool, source string, partition int32, recs []Record) (FlushResult, error) {
	name := SegmentName(dlq, source, partition, recs[0].Offset, recs[len(recs)-1].Offset)
	res := FlushResult{Segment: name, DLQ: dlq, Source: source, Partition: partition,
		FirstOffset: recs[0].Offset, LastOffset: recs[len(recs)-1].Offset, Records: len(recs)}

	// 1. Data keys: create the missing ones (durably) before the segment.
	seen := map[string]int{}
	for _, r := range recs {
		if r.Pseudonym != "" {
			if _, ok := seen[r.Pseudonym]; !ok {
				seen[r.Pseudonym] = len(res.Pseudonyms)
				res.Pseudonyms = append(res.Pseudonyms, r.Pseudonym)
			}
		}
	}
	aeads := make([]cipher.AEAD, len(res.Pseudonyms))
	created := make([]bool, len(res.Pseudonyms))
	err := v.parallel(ctx, len(res.Pseudonyms), func(ctx context.Context, i int) error {
		k, c, err := v.dek(ctx, res.Pseudonyms[i], true)
		if err != nil {
			return err
		}
		created[i] = c
		aeads[i], err = aeadFor(k)
		return err
	})
	if err != nil {
		return FlushResult{}, err
	}
	for i, c := range created {
		if c {
			res.NewKeys = append(res.NewKeys, res.Pseudonyms[i])
		}
	}

	// 2. Segment key, records, index.
	segKey, err := randomKey()
	if err != nil {
		return FlushResult{}, err
	}
	segAEAD, err := aeadFor(segKey)
	if err != nil {
		return FlushResult{}, err
	}
	kekID := v.kr.Newest()
	kek, _ := v.kr.key(kekID)
	wrapped, err := wrapKey(kek, adSegKey, kekID, name, segKey)
	if err != nil {
		return FlushResult{}, err
	}
	total := 0
	for _, r := range recs {
		total += len(r.Data) + nonceSize + tagSize
	}
	body := make([]byte, 0, total)
	entries := make([]entry, len(recs))
	for i, r := range recs {
		e := entry{off: int64(len(body)), offset: r.Offset, pseudonym: r.Pseudonym, msgType: r.MessageType, keyID: kekID}
		if !r.Time.IsZero() {
			e.time = r.Time.UnixNano()
		}
		a := segAEAD
		if r.Pseudonym != "" {
			a = aeads[seen[r.Pseudonym]]
		} else {
			e.kind = kindSegment
		}
		if body, err = seal(a, body, r.Data, recordAD(name, i, r.Pseudonym)); err != nil {
			return FlushResult{}, err
		}
		e.length = int64(len(body)) - e.off
		entries[i] = e
	}
	obj, err := buildSegment(segAEAD, &header{name: name, source: source, partition: partition, kekID: kekID,
		wrappedKey: wrapped, records: uint32(len(recs)), recordsLen: uint64(len(body))}, encodeIndex(entries), body)
	if err != nil {
		return FlushResult{}, err
	}

	// 3. The segment and its markers, in parallel; all must land before we report.
	err = v.parallel(ctx, len(res.Pseudonyms)+1, func(ctx context.Context, i int) error {
		if i == 0 {
			if err := v.st.Put(ctx, name, obj, store.PutOptions{}); err != nil {
				return fmt.Errorf("vault: store segment %s: %w", name, err)
			}
			return nil
		}
		if err := v.st.Put(ctx, markerPrefix(res.Pseudonyms[i-1])+name, nil, store.PutOptions{}); err != nil {
			return fmt.Errorf("vault: store index marker: %w", err)
		}
		return nil
	})
	if err != nil {
		return FlushResult{}, err
	}
	v.mu.Lock()
	v.idx.del(name)
	v.mu.Unlock()
	sort.Strings(res.Pseudonyms)
	sort.Strings(res.NewKeys)
	return res, nil
}

// buildSegment assembles prefix | header | sealed index | records.
func buildSegment(segAEAD cipher.AEAD, h *header, index, records []byte) ([]byte, error) {
	hb := h.encode()
	if len(hb) > maxHeaderLen {
		return nil, fmt.Errorf("%w: segment header too large", ErrInvalid)
	}
	il := len(index) + nonceSize + tagSize
	if il > maxIndexLen {
		return nil, fmt.Errorf("%w: segment index too large", ErrInvalid)
	}
	pre := encodePrefix(len(hb), il)
	out := make([]byte, 0, len(pre)+len(hb)+il+len(records))
	out = append(out, pre...)
	out = append(out, hb...)
	aad := append(append([]byte(adIndex), out...), 0)
	var err error
	if out, err = seal(segAEAD, out, index, aad); err != nil {
		return nil, err
	}
	return append(out, records...), nil
}
