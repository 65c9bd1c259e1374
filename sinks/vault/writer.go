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
	// MaxInFlight bounds the segments being sealed and uploaded in the background
	// while Write keeps buffering the next ones (default 6). Write blocks when the
	// bound is reached.
	MaxInFlight int
	// OnFlush, if set, is called (in offset order per partition, from the goroutine of
	// the Write, Flush, FlushDue, Durable or Discard call that reports it) after each
	// segment is durably stored.
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

// job is one segment handed to the background: sealed and uploaded by a goroutine,
// reported (in submission order) by whichever call reaps it.
type job struct {
	bk   batchKey
	b    *batch
	ctx  context.Context
	done chan struct{}
	res  FlushResult
	err  error
}

// Writer batches records per source partition into segments. It is safe for
// concurrent use. Full segments are sealed and uploaded in the background (at most
// WriterConfig.MaxInFlight at once) while new records are buffered; results are
// reported in submission order, so per partition in offset order, and each
// FlushResult is returned exactly once, by the call that reaps it.
type Writer struct {
	v   *Vault
	cfg WriterConfig
	sem chan struct{}

	mu      sync.Mutex
	batches map[batchKey]*batch
	parts   map[partKey]*partState
	queue   []*job        // submitted, not yet reported; FIFO
	ready   []FlushResult // reaped by Discard, returned by the next call
	// lastKeys is closed when the last started job has resolved its data keys.
	lastKeys chan struct{}
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
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 6
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Writer{v: v, cfg: cfg, sem: make(chan struct{}, cfg.MaxInFlight),
		batches: map[batchKey]*batch{}, parts: map[partKey]*partState{}}
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
	out, err := w.reapLocked(ctx, false)
	if err != nil {
		// A background upload failed; it is being retried. Do not take the record.
		return out, err
	}
	pk := partKey{rec.Source, rec.Partition}
	ps := w.parts[pk]
	if ps == nil {
		ps = &partState{}
		w.parts[pk] = ps
	}
	if ps.seen && rec.Offset <= ps.lastSeen {
		return out, fmt.Errorf("%w: %s/%d offset %d after %d", ErrOffsetOrder, SanitizeSource(rec.Source), rec.Partition, rec.Offset, ps.lastSeen)
	}
	bk := batchKey{pk, dlq}
	b := w.batches[bk]
	if b != nil && len(b.recs) > 0 && b.bytes+int64(len(rec.Data)) > w.cfg.MaxBytes {
		w.submitLocked(ctx, bk)
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
		w.submitLocked(ctx, bk)
	}
	more, _ := w.reapLocked(ctx, false)
	return append(out, more...), nil
}

// submitLocked hands the batch of bk to the background (blocking while MaxInFlight
// segments are in flight).
func (w *Writer) submitLocked(ctx context.Context, bk batchKey) {
	b := w.batches[bk]
	delete(w.batches, bk)
	j := &job{bk: bk, b: b, ctx: context.WithoutCancel(ctx)}
	w.queue = append(w.queue, j)
	w.start(j)
}

// start runs j in the background. Jobs resolve their data keys one after the other,
// in submission order (new keys are attributed to the first segment needing them);
// sealing and uploading then overlap.
func (w *Writer) start(j *job) {
	j.done, j.err = make(chan struct{}), nil
	prev, keysDone := w.lastKeys, make(chan struct{})
	w.lastKeys = keysDone
	w.sem <- struct{}{}
	go func() {
		defer func() { <-w.sem; close(j.done) }()
		if prev != nil {
			<-prev
		}
		var once sync.Once
		release := func() { once.Do(func() { close(keysDone) }) }
		defer release()
		j.res, j.err = w.v.writeSegment(j.ctx, j.bk.dlq, j.bk.source, j.bk.partition, j.b.recs, release)
	}()
}

func isDone(j *job) bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// reapLocked reports the finished jobs at the head of the queue, in order. A failed
// job at the head stops reaping: it is restarted (retry) and its error returned. With
// wait, it first waits for every queued job.
func (w *Writer) reapLocked(ctx context.Context, wait bool) ([]FlushResult, error) {
	out := w.ready
	w.ready = nil
	for len(w.queue) > 0 {
		j := w.queue[0]
		if wait {
			select {
			case <-j.done:
			case <-ctx.Done():
				return out, ctx.Err()
			}
		} else if !isDone(j) {
			break
		}
		if j.err != nil {
			err := j.err
			w.start(j)
			return out, fmt.Errorf("vault: segment upload failed (retrying): %w", err)
		}
		w.queue = w.queue[1:]
		r := j.res
		r.Bytes = j.b.bytes
		r.Watermark = w.watermarkLocked(j.bk.partKey)
		if w.cfg.OnFlush != nil {
			w.cfg.OnFlush(r)
		}
		out = append(out, r)
	}
	return out, nil
}

// Flush stores every buffered segment and returns when all (and every segment still
// in flight) are durable. On error the failed segments are retried in the background
// and Flush can be called again.
func (w *Writer) Flush(ctx context.Context) ([]FlushResult, error) {
	return w.flushWhere(ctx, func(*batch) bool { return true })
}

// FlushDue stores the segments whose oldest record is at least MaxAge old, and waits
// for every segment in flight. Call it periodically (see Run) so quiet partitions
// still become durable.
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
// offsets, for a consumer that rewinds the partition. Segments already in flight are
// finished first (their results are returned by the next call); a failed one of this
// partition is dropped.
func (w *Writer) Discard(source string, partition int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pk := partKey{source, partition}
	for _, j := range w.queue {
		<-j.done
	}
	kept := w.queue[:0]
	for _, j := range w.queue {
		if j.err == nil || j.bk.partKey != pk {
			kept = append(kept, j)
		}
	}
	w.queue = kept
	r, _ := w.reapLocked(context.Background(), false)
	w.ready = r
	delete(w.batches, batchKey{pk, false})
	delete(w.batches, batchKey{pk, true})
	delete(w.parts, pk)
}

// Durable returns the partition's watermark (see FlushResult.Watermark); ok is false
// when none of the offsets this Writer received for the partition is durable yet.
// Segments that finished are reported (OnFlush) first; their results are returned
// by the next Write or Flush.
func (w *Writer) Durable(source string, partition int32) (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, _ := w.reapLocked(context.Background(), false)
	w.ready = r
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
	for _, j := range w.queue {
		if j.bk.partKey == pk {
			wm = min(wm, j.b.recs[0].Offset-1)
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
	for _, k := range keys {
		w.submitLocked(ctx, k)
	}
	return w.reapLocked(ctx, true)
}

// writeSegment seals recs (one partition, increasing offsets) into one segment object,
// after making every needed data key durable, and writes the segment's pseudonym
// index: O(1) objects per segment plus one per key shard gaining new patients.
// keysResolved is called once the data keys are durable (or on error).
func (v *Vault) writeSegment(ctx context.Context, dlq bool, source string, partition int32, recs []Record, keysResolved func()) (FlushResult, error) {
	name := SegmentName(dlq, source, partition, recs[0].Offset, recs[len(recs)-1].Offset)
	res := FlushResult{Segment: name, DLQ: dlq, Source: source, Partition: partition,
		FirstOffset: recs[0].Offset, LastOffset: recs[len(recs)-1].Offset, Records: len(recs)}

	// 1. Data keys: resolve them per shard, creating the missing ones durably first.
	seen := map[string]int{}
	var byShard [keyShards][]string
	for _, r := range recs {
		if r.Pseudonym != "" {
			if _, ok := seen[r.Pseudonym]; !ok {
				seen[r.Pseudonym] = len(res.Pseudonyms)
				res.Pseudonyms = append(res.Pseudonyms, r.Pseudonym)
				s := shardOf(r.Pseudonym)
				byShard[s] = append(byShard[s], r.Pseudonym)
			}
		}
	}
	var shards []int
	for s := range byShard {
		if len(byShard[s]) > 0 {
			shards = append(shards, s)
		}
	}
	aeads := make([]cipher.AEAD, len(res.Pseudonyms))
	kids := make([]string, len(res.Pseudonyms))
	var newMu sync.Mutex
	err := v.parallel(ctx, len(shards), func(ctx context.Context, i int) error {
		keys, err := v.ensureKeys(ctx, shards[i], byShard[shards[i]])
		if err != nil {
			return err
		}
		for p, k := range keys {
			n := seen[p]
			kids[n] = k.kid
			if aeads[n], err = aeadFor(k.dek); err != nil {
				return err
			}
			if k.created {
				newMu.Lock()
				res.NewKeys = append(res.NewKeys, p)
				newMu.Unlock()
			}
		}
		return nil
	})
	keysResolved()
	if err != nil {
		return FlushResult{}, err
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
			n := seen[r.Pseudonym]
			a, e.kid = aeads[n], kids[n]
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
	sort.Strings(res.Pseudonyms)
	sort.Strings(res.NewKeys)

	// 3. The segment and its pseudonym index, in parallel; both must land before we report.
	n := 1
	if len(res.Pseudonyms) > 0 {
		n = 2
	}
	err = v.parallel(ctx, n, func(ctx context.Context, i int) error {
		if i == 0 {
			if err := v.st.Put(ctx, name, obj, store.PutOptions{}); err != nil {
				return fmt.Errorf("vault: store segment %s: %w", name, err)
			}
			return nil
		}
		if err := v.st.Put(ctx, indexName(name), encodePseudonymIndex(res.Pseudonyms), store.PutOptions{}); err != nil {
			return fmt.Errorf("vault: store pseudonym index of %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return FlushResult{}, err
	}
	v.mu.Lock()
	v.idx.del(name)
	v.pidx.del(name)
	v.mu.Unlock()
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
