package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// Parquet key-value metadata keys written into every file.
const (
	MetaRulesVersion = "safeharbor.rules_version"
	MetaDataset      = "safeharbor.dataset"
	MetaSource       = "safeharbor.source"
	MetaPartition    = "safeharbor.partition"
	MetaFirstOffset  = "safeharbor.first_offset"
	MetaLastOffset   = "safeharbor.last_offset"
)

// Default roll limits.
const (
	DefaultMaxRows  = 1_000_000
	DefaultMaxBytes = 64 << 20
	DefaultMaxAge   = 5 * time.Minute
)

// Config configures a Writer.
type Config struct {
	// Name is the dataset name ([A-Za-z0-9_.-]); files go under dataset=<Name>/.
	Name string
	// Schema is the user columns.
	Schema Schema
	// Store receives the Parquet files.
	Store store.Store
	// RulesVersion is written into every row (_rules_version) and the file metadata. Required.
	RulesVersion string
	// MaxRows rolls a file when it holds this many rows (default DefaultMaxRows).
	MaxRows int
	// MaxBytes rolls a file when its buffered (uncompressed, estimated) size
	// reaches this many bytes (default DefaultMaxBytes).
	MaxBytes int64
	// MaxAge rolls a file when its first row was appended this long ago
	// (default DefaultMaxAge). Age is checked on Append and by FlushDue.
	MaxAge time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Background is how many files may be encoded and stored concurrently in
	// the background while rows keep being appended (0: a roll encodes and
	// stores synchronously inside Append). Flush, FlushDue and Close always
	// wait for them.
	Background int
	// Allocator is the Arrow memory allocator (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

// RowMeta says where a row came from.
type RowMeta struct {
	Source    string
	Partition int32
	Offset    int64
}

// SourcePartition identifies an input partition.
type SourcePartition struct {
	Source    string
	Partition int32
}

// FileInfo describes one written Parquet file.
type FileInfo struct {
	Object      string
	Year        int
	Source      string
	Partition   int32
	FirstOffset int64
	LastOffset  int64
	Rows        int
	Bytes       int
}

// FlushResult reports what a flush made durable.
type FlushResult struct {
	// Files written by this call, in the order written.
	Files []FileInfo
	// Durable is, per input partition, the highest offset such that every row
	// appended with that offset or lower is in a stored file. Kafka offsets can
	// be committed from it (commit Durable+1).
	Durable map[SourcePartition]int64
}

// RowError says why a row was refused. It names the column and the Go type,
// never the value.
type RowError struct {
	Dataset string
	Meta    RowMeta
	Column  string
	Reason  string
}

// Error names the dataset, row position and column, never the value.
func (e *RowError) Error() string {
	col := ""
	if e.Column != "" {
		col = fmt.Sprintf(" column %q:", e.Column)
	}
	return fmt.Sprintf("dataset %s: row %s/%d@%d:%s %s", e.Dataset, e.Meta.Source, e.Meta.Partition, e.Meta.Offset, col, e.Reason)
}

// ErrClosed is returned when a closed Writer is used.
var ErrClosed = errors.New("dataset: writer is closed")

type bufKey struct {
	year      int
	source    string
	partition int32
}

type buffer struct {
	key     bufKey
	rb      *array.RecordBuilder
	user    []array.Builder
	src     *array.StringBuilder
	part    *array.Int32Builder
	off     *array.Int64Builder
	rv      *array.StringBuilder
	rows    int
	bytes   int64
	first   int64
	last    int64
	started time.Time
}

// encoded is a file that is built but not yet stored.
type encoded struct {
	info FileInfo
	data []byte
}

// Writer buffers rows of one dataset in Arrow builders and writes them as
// zstd-compressed Parquet files named
//
//	dataset=<name>/year=<YYYY>/part-<source>-<partition>-<first offset>-<last offset>.parquet
//
// with offsets zero-padded to 20 digits. Each file holds rows of one input
// partition and one year, so a replay of the same offsets with the same roll
// boundaries overwrites the same object. Rolls by row count are deterministic;
// rolls by bytes or age depend on timing, so after a crash a replay can write a
// file whose range overlaps an earlier one: the _source/_partition/_offset
// columns identify duplicates. A Writer is safe for concurrent use. A roll
// encodes and stores the file inside Append, or in the background when
// Config.Background > 0; either way Flush returns only after every Put
// succeeded, and Durable never counts a row whose file is not stored.
type Writer struct {
	mu      sync.Mutex
	cfg     Config
	schema  *arrow.Schema
	yearCol int
	props   *parquet.WriterProperties
	aprops  pqarrow.ArrowWriterProperties

	bufs      map[bufKey]*buffer
	lastBuf   *buffer
	failed    []encoded // built files whose Put failed; retried first
	failedErr error
	jobs      []*job        // files being encoded/stored
	completed []FileInfo    // stored since the last FlushResult
	broken    error         // an encoding failure: the writer must be recreated
	sem       chan struct{} // nil: synchronous
	appended  map[SourcePartition]int64
	durable   map[SourcePartition]int64
	nAppend   int
	closed    bool
	rowPool   sync.Pool
	hintRows  int   // rows of the last file, to presize builders
	hintData  []int // string data bytes per field of the last file
}

// NewWriter validates cfg and returns a Writer.
func NewWriter(cfg Config) (*Writer, error) {
	if !validName(cfg.Name, 128) {
		return nil, fmt.Errorf("dataset: name %q must be 1-128 characters of [A-Za-z0-9_.-]", cfg.Name)
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("dataset %s: no store", cfg.Name)
	}
	if cfg.RulesVersion == "" || len(cfg.RulesVersion) > 128 {
		return nil, fmt.Errorf("dataset %s: rules version is required (at most 128 bytes)", cfg.Name)
	}
	year, err := cfg.Schema.Validate()
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", cfg.Name, err)
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = DefaultMaxRows
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	cfg.Schema.Columns = append([]Column(nil), cfg.Schema.Columns...)
	w := &Writer{
		cfg:     cfg,
		schema:  cfg.Schema.ArrowSchema(),
		yearCol: year,
		props: parquet.NewWriterProperties(
			parquet.WithCompression(compress.Codecs.Zstd),
			parquet.WithCreatedBy("safeharbor"),
			parquet.WithAllocator(cfg.Allocator),
			parquet.WithDictionaryDefault(false),
		),
		aprops:   pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()),
		bufs:     map[bufKey]*buffer{},
		appended: map[SourcePartition]int64{},
		durable:  map[SourcePartition]int64{},
	}
	w.rowPool.New = func() any { return w.NewRow() }
	if cfg.Background > 0 {
		w.sem = make(chan struct{}, cfg.Background)
	}
	return w, nil
}

// ObjectName returns the object name of the file holding rows first..last of
// source/partition in the given year.
func ObjectName(dataset string, year int, source string, partition int32, first, last int64) string {
	return fmt.Sprintf("dataset=%s/year=%04d/part-%s-%d-%020d-%020d.parquet", dataset, year, source, partition, first, last)
}

// Append adds one row. values holds one value per user column, in schema
// order: string, int64 (or int, int32), float64 (or float32), bool, time.Time,
// or nil for null. See AppendRow for the semantics; AppendRow with typed
// setters avoids boxing values and is the faster input path.
func (w *Writer) Append(ctx context.Context, meta RowMeta, values []any) error {
	r := w.rowPool.Get().(*Row)
	defer w.rowPool.Put(r)
	r.Reset(meta)
	cols := w.cfg.Schema.Columns
	if len(values) != len(cols) {
		return &RowError{Dataset: w.cfg.Name, Meta: meta, Reason: fmt.Sprintf("%d values for %d columns", len(values), len(cols))}
	}
	for i, v := range values {
		switch x := v.(type) {
		case nil:
			r.SetNull(i)
		case string:
			r.SetString(i, x)
		case int64:
			r.SetInt64(i, x)
		case int:
			r.SetInt64(i, int64(x))
		case int32:
			r.SetInt64(i, int64(x))
		case float64:
			r.SetFloat64(i, x)
		case float32:
			r.SetFloat64(i, float64(x))
		case bool:
			r.SetBool(i, x)
		case time.Time:
			r.SetTime(i, x)
		default:
			r.fail(i, fmt.Sprintf("want %s, got %T", cols[i].Type, v))
		}
	}
	return w.AppendRow(ctx, r)
}

// AppendRow adds the row staged in r (every column must have been set).
// Offsets must not go back within a source partition; one offset may carry
// several rows (a message yields one row per OBX, say), and files roll only
// between offsets. A refused row leaves no trace. When a file has reached a roll limit, it is written to the store
// when the next offset begins (before that row is appended); Durable then
// reports the offsets safe to commit.
// r can be reused after AppendRow returns.
func (w *Writer) AppendRow(ctx context.Context, r *Row) error {
	meta := r.meta
	if r.err != nil {
		return r.err
	}
	for i, st := range r.state {
		if st == unset {
			return &RowError{Dataset: w.cfg.Name, Meta: meta, Column: r.cols[i].Name, Reason: "not set"}
		}
	}
	year := r.year
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	sp := SourcePartition{meta.Source, meta.Partition}
	if meta.Offset < 0 {
		return &RowError{Dataset: w.cfg.Name, Meta: meta, Reason: "negative offset"}
	}
	// One message yields several rows (one per OBX, per Observation...), so
	// an offset may repeat; it may not go back.
	if last, ok := w.appended[sp]; ok && meta.Offset < last {
		return &RowError{Dataset: w.cfg.Name, Meta: meta, Reason: fmt.Sprintf("offset before the last appended offset %d of this partition", last)}
	}
	if w.lastBuf == nil || w.lastBuf.key.source != meta.Source || w.lastBuf.key.partition != meta.Partition ||
		(year != 0 && w.lastBuf.key.year != year) {
		if !validName(meta.Source, 249) {
			return &RowError{Dataset: w.cfg.Name, Meta: RowMeta{Source: "?", Partition: meta.Partition, Offset: meta.Offset},
				Reason: "source must be 1-249 characters of [A-Za-z0-9_.-]"}
		}
		if meta.Partition < 0 {
			return &RowError{Dataset: w.cfg.Name, Meta: meta, Reason: "negative partition"}
		}
		now := w.cfg.Now()
		if year == 0 {
			year = now.UTC().Year()
		}
		k := bufKey{year, meta.Source, meta.Partition}
		b := w.bufs[k]
		if b == nil {
			b = w.newBuffer(k, now)
			w.bufs[k] = b
		}
		w.lastBuf = b
	}
	b := w.lastBuf
	// A full file rolls only when a new offset begins, so the rows of one
	// message never straddle two files and a replay writes the same names.
	if b.rows > 0 && meta.Offset != b.last && w.full(b) {
		if err := w.rollLocked(ctx, b); err != nil {
			return err
		}
		nb := w.newBuffer(b.key, w.cfg.Now())
		w.bufs[b.key] = nb
		w.lastBuf = nb
		b = nb
	}
	if b.rows == 0 {
		b.first = meta.Offset
	}
	size := int64(len(meta.Source) + len(w.cfg.RulesVersion) + 24)
	for i, bl := range b.user {
		if r.state[i] == null {
			bl.AppendNull()
			size++
			continue
		}
		switch r.cols[i].Type {
		case String:
			bl.(*array.StringBuilder).Append(r.str[i])
			size += int64(len(r.str[i])) + 4
		case Int64:
			bl.(*array.Int64Builder).Append(r.num[i])
			size += 8
		case Float64:
			bl.(*array.Float64Builder).Append(math.Float64frombits(uint64(r.num[i])))
			size += 8
		case Bool:
			bl.(*array.BooleanBuilder).Append(r.num[i] != 0)
			size++
		case Timestamp:
			bl.(*array.TimestampBuilder).Append(arrow.Timestamp(r.num[i]))
			size += 8
		}
	}
	b.src.Append(meta.Source)
	b.part.Append(meta.Partition)
	b.off.Append(meta.Offset)
	b.rv.Append(w.cfg.RulesVersion)
	b.rows++
	b.bytes += size
	b.last = meta.Offset
	w.appended[sp] = meta.Offset
	w.nAppend++
	return nil
}

// full reports whether a buffer reached a roll limit (rows, bytes, or age,
// the clock read every 256 appends).
func (w *Writer) full(b *buffer) bool {
	if b.rows >= w.cfg.MaxRows || b.bytes >= w.cfg.MaxBytes {
		return true
	}
	return w.nAppend%256 == 0 && w.cfg.Now().Sub(b.started) >= w.cfg.MaxAge
}

// rollLocked writes one buffer's file (in the background when configured).
func (w *Writer) rollLocked(ctx context.Context, b *buffer) error {
	if w.broken != nil {
		return w.broken
	}
	w.start(ctx, b)
	w.reap(false)
	if w.broken != nil {
		return w.broken
	}
	if len(w.failed) > 0 {
		if err := w.retryFailed(ctx); err != nil {
			w.updateDurable()
			return err
		}
	}
	w.updateDurable()
	return nil
}

// Flush writes every buffered row to the store. It returns only after every
// Put succeeded (or with the first error; unstored files are kept and retried
// by the next Flush) and reports the highest durable offset per partition.
func (w *Writer) Flush(ctx context.Context) (FlushResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return FlushResult{}, ErrClosed
	}
	return w.flushLocked(ctx, func(*buffer) bool { return true })
}

// FlushDue writes the files that reached MaxAge (call it from a ticker so idle
// partitions are not held back).
func (w *Writer) FlushDue(ctx context.Context) (FlushResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return FlushResult{}, ErrClosed
	}
	now := w.cfg.Now()
	return w.flushLocked(ctx, func(b *buffer) bool { return now.Sub(b.started) >= w.cfg.MaxAge })
}

// Durable returns, per input partition, the highest offset whose rows (and all
// earlier rows) are stored.
func (w *Writer) Durable() map[SourcePartition]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.durableLocked()
}

func (w *Writer) durableLocked() map[SourcePartition]int64 {
	out := make(map[SourcePartition]int64, len(w.durable))
	for k, v := range w.durable {
		out[k] = v
	}
	return out
}

// updateDurable recomputes durable offsets: for each partition, the last
// appended offset unless rows are still buffered or unstored, in which case
// the offset just before the earliest of them.
func (w *Writer) updateDurable() {
	if w.broken != nil {
		return // rows were lost: never claim more
	}
	lowest := map[SourcePartition]int64{}
	hold := func(sp SourcePartition, first int64) {
		if v, ok := lowest[sp]; !ok || first < v {
			lowest[sp] = first
		}
	}
	for _, b := range w.bufs {
		if b.rows > 0 {
			hold(SourcePartition{b.key.source, b.key.partition}, b.first)
		}
	}
	for _, e := range w.failed {
		hold(SourcePartition{e.info.Source, e.info.Partition}, e.info.FirstOffset)
	}
	for _, j := range w.jobs {
		hold(SourcePartition{j.info.Source, j.info.Partition}, j.info.FirstOffset)
	}
	for sp, last := range w.appended {
		d := last
		if first, ok := lowest[sp]; ok {
			d = first - 1
		}
		if prev, ok := w.durable[sp]; (!ok || d > prev) && d >= 0 {
			w.durable[sp] = d
		}
	}
}

func (w *Writer) flushLocked(ctx context.Context, pick func(*buffer) bool) (FlushResult, error) {
	if w.broken != nil {
		return FlushResult{}, w.broken
	}
	w.waitJobs()
	err := w.retryFailed(ctx)
	if err == nil {
		// Build files for the picked buffers, in a stable order.
		var picked []*buffer
		for _, b := range w.bufs {
			if b.rows > 0 && pick(b) {
				picked = append(picked, b)
			}
		}
		sort.Slice(picked, func(i, j int) bool {
			a, b := picked[i].key, picked[j].key
			if a.source != b.source {
				return a.source < b.source
			}
			if a.partition != b.partition {
				return a.partition < b.partition
			}
			return a.year < b.year
		})
		for _, b := range picked {
			w.start(ctx, b)
		}
		w.waitJobs()
		if w.broken != nil {
			return FlushResult{}, w.broken
		}
		if len(w.failed) > 0 {
			err = w.failedErr
		}
	}
	w.updateDurable()
	res := FlushResult{Files: w.completed, Durable: w.durableLocked()}
	w.completed = nil
	return res, err
}

// job is one file being encoded and stored, possibly in the background.
type job struct {
	info   FileInfo
	done   chan struct{}
	enc    encoded
	err    error // encoding failed: the rows are lost, the writer is broken
	putErr error // storing failed: retried later
}

// start detaches b's rows and encodes and stores them, in the background
// when Config.Background > 0. Caller holds mu.
func (w *Writer) start(ctx context.Context, b *buffer) {
	rec, info := w.detach(b)
	j := &job{info: info, done: make(chan struct{})}
	w.jobs = append(w.jobs, j)
	if w.sem == nil {
		w.run(ctx, j, rec)
		return
	}
	w.sem <- struct{}{} // backpressure: at most Config.Background files in flight
	go func() {
		defer func() { <-w.sem }()
		w.run(context.WithoutCancel(ctx), j, rec)
	}()
}

// run encodes and stores one file. It does not touch Writer state guarded by mu.
func (w *Writer) run(ctx context.Context, j *job, rec arrow.RecordBatch) {
	defer close(j.done)
	enc, err := w.encodeRecord(rec, j.info)
	rec.Release()
	if err != nil {
		j.err = err
		return
	}
	j.enc = enc // j.info stays as set by start (read under mu); enc.info adds Bytes
	j.putErr = w.put(ctx, enc)
}

func (w *Writer) put(ctx context.Context, e encoded) error {
	opts := store.PutOptions{Metadata: map[string]string{
		"safeharbor-dataset": w.cfg.Name, "safeharbor-rules-version": w.cfg.RulesVersion,
		"safeharbor-offsets": fmt.Sprintf("%s/%d/%d-%d", e.info.Source, e.info.Partition, e.info.FirstOffset, e.info.LastOffset),
	}}
	if err := w.cfg.Store.Put(ctx, e.info.Object, e.data, opts); err != nil {
		return fmt.Errorf("dataset %s: store %s: %w", w.cfg.Name, e.info.Object, err)
	}
	return nil
}

// reap collects finished jobs. Caller holds mu.
func (w *Writer) reap(wait bool) {
	keep := w.jobs[:0]
	for _, j := range w.jobs {
		if wait {
			<-j.done
		} else {
			select {
			case <-j.done:
			default:
				keep = append(keep, j)
				continue
			}
		}
		switch {
		case j.err != nil:
			if w.broken == nil {
				w.broken = fmt.Errorf("%w (rows %s/%d@%d-%d were not stored; replay from the last durable offset)",
					j.err, j.info.Source, j.info.Partition, j.info.FirstOffset, j.info.LastOffset)
			}
		case j.putErr != nil:
			w.failed = append(w.failed, j.enc)
			w.failedErr = j.putErr
		default:
			w.completed = append(w.completed, j.enc.info)
		}
	}
	clear(w.jobs[len(keep):])
	w.jobs = keep
}

func (w *Writer) waitJobs() { w.reap(true) }

// retryFailed stores files whose Put failed, oldest first. Caller holds mu.
func (w *Writer) retryFailed(ctx context.Context) error {
	for len(w.failed) > 0 {
		e := w.failed[0]
		if err := w.put(ctx, e); err != nil {
			w.failedErr = err
			return err
		}
		w.failed = w.failed[1:]
		w.completed = append(w.completed, e.info)
	}
	w.failed = nil
	return nil
}

// detach takes a buffer's rows as a record batch and forgets the buffer. Caller holds mu.
func (w *Writer) detach(b *buffer) (arrow.RecordBatch, FileInfo) {
	w.rememberSize(b)
	rec := b.rb.NewRecordBatch()
	info := FileInfo{
		Object: ObjectName(w.cfg.Name, b.key.year, b.key.source, b.key.partition, b.first, b.last),
		Year:   b.key.year, Source: b.key.source, Partition: b.key.partition,
		FirstOffset: b.first, LastOffset: b.last, Rows: b.rows,
	}
	b.rows, b.bytes = 0, 0
	if w.lastBuf == b {
		w.lastBuf = nil
	}
	delete(w.bufs, b.key)
	b.rb.Release()
	return rec, info
}

// encodeRecord writes rec as a Parquet file.
func (w *Writer) encodeRecord(rec arrow.RecordBatch, info FileInfo) (encoded, error) {
	var out bytes.Buffer
	fw, err := pqarrow.NewFileWriter(w.schema, &out, w.props, w.aprops)
	if err != nil {
		return encoded{}, fmt.Errorf("dataset %s: parquet writer: %w", w.cfg.Name, err)
	}
	for _, kv := range [][2]string{
		{MetaRulesVersion, w.cfg.RulesVersion}, {MetaDataset, w.cfg.Name}, {MetaSource, info.Source},
		{MetaPartition, strconv.Itoa(int(info.Partition))},
		{MetaFirstOffset, strconv.FormatInt(info.FirstOffset, 10)}, {MetaLastOffset, strconv.FormatInt(info.LastOffset, 10)},
	} {
		if err := fw.AppendKeyValueMetadata(kv[0], kv[1]); err != nil {
			fw.Close()
			return encoded{}, fmt.Errorf("dataset %s: parquet metadata: %w", w.cfg.Name, err)
		}
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return encoded{}, fmt.Errorf("dataset %s: write parquet: %w", w.cfg.Name, err)
	}
	if err := fw.Close(); err != nil {
		return encoded{}, fmt.Errorf("dataset %s: close parquet: %w", w.cfg.Name, err)
	}
	info.Bytes = out.Len()
	return encoded{info: info, data: out.Bytes()}, nil
}

// Close flushes everything and releases the builders. The Writer cannot be used afterwards.
func (w *Writer) Close(ctx context.Context) (FlushResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return FlushResult{}, ErrClosed
	}
	res, err := w.flushLocked(ctx, func(*buffer) bool { return true })
	if err != nil {
		return res, err
	}
	w.closed = true
	for _, b := range w.bufs {
		b.rb.Release()
	}
	w.bufs = nil
	return res, nil
}
