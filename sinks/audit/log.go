package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// DefaultRetention is how long object-store batches are locked (WORM) when
// Options.Retention is zero: six years, the HIPAA documentation retention period.
const DefaultRetention = 6 * 365 * 24 * time.Hour

// Options tune a Log.
type Options struct {
	// Retention is the WORM retention of object-store batches (default DefaultRetention).
	Retention time.Duration
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
	// Anchor, when set, receives the signed head (Anchor, Close); opening a
	// log that its anchors show was rolled back, truncated or replaced fails.
	Anchor Anchor
}

// backend stores sealed lines durably, then the checkpoint.
type backend interface {
	// write stores lines (each ending in '\n') holding seqs first..last, then cp.
	write(ctx context.Context, lines []byte, first, last uint64, cp Checkpoint) error
	// verify checks the whole stored log against its checkpoint.
	verify(ctx context.Context, key *Key, m *macsAt) (Summary, error)
	// scan calls fn with every stored line in order.
	scan(ctx context.Context, fn func(line []byte) error) error
	close() error
}

// ErrClosed is returned by appends to a closed Log.
var ErrClosed = errors.New("audit: log is closed")

// Log is an append-only, hash-chained audit log. It is safe for concurrent
// use: concurrent appends are committed together (one fsync or one object per
// group) and get consecutive sequence numbers.
type Log struct {
	key  *Key
	b    backend
	opts Options

	qmu   sync.Mutex
	queue []*pending

	wmu    sync.Mutex // held while writing; guards seq, prev, closed
	seq    uint64
	prev   string
	closed bool
	// anchored says anchoredSeq was written to opts.Anchor.
	anchored    bool
	anchoredSeq uint64
}

type pending struct {
	events []Event
	recs   []Record
	done   chan error
}

func newLog(key *Key, b backend, sum Summary, opts Options) *Log {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	return &Log{key: key, b: b, opts: opts, seq: sum.LastSeq, prev: sum.LastMAC}
}

// Append records one event durably and returns the stored record.
func (l *Log) Append(ctx context.Context, ev Event) (Record, error) {
	recs, err := l.AppendBatch(ctx, []Event{ev})
	if err != nil {
		return Record{}, err
	}
	return recs[0], nil
}

// AppendBatch records events durably, in order, with consecutive seqs, and
// returns the stored records. Either all are stored or none.
func (l *Log) AppendBatch(ctx context.Context, events []Event) ([]Record, error) {
	if len(events) == 0 {
		return nil, nil
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	p := &pending{events: events, done: make(chan error, 1)}
	l.qmu.Lock()
	l.queue = append(l.queue, p)
	l.qmu.Unlock()

	l.wmu.Lock()
	select {
	case err := <-p.done: // a previous leader committed us
		l.wmu.Unlock()
		return p.recs, err
	default:
	}
	l.qmu.Lock()
	group := l.queue
	l.queue = nil
	l.qmu.Unlock()
	var err error
	if len(group) > 0 {
		err = l.commit(ctx, group)
	}
	for _, g := range group {
		g.done <- err // buffered: never blocks
	}
	l.wmu.Unlock()
	err = <-p.done
	if err != nil {
		return nil, err
	}
	return p.recs, nil
}

// commit seals and writes a group of pending appends. Caller holds wmu.
func (l *Log) commit(ctx context.Context, group []*pending) error {
	if l.closed {
		return ErrClosed
	}
	seq, prev := l.seq, l.prev
	first := seq + 1
	var buf []byte
	for _, p := range group {
		p.recs = make([]Record, len(p.events))
		for i, ev := range p.events {
			t := ev.Time
			if t.IsZero() {
				t = l.opts.Now()
			}
			seq++
			r := Record{Seq: seq, Time: t.UTC().Format(time.RFC3339Nano), Actor: ev.Actor, Entity: ev.Entity,
				RecordID: ev.RecordID, Action: ev.Action, Client: ev.Client, Reason: ev.Reason, Outcome: ev.Outcome,
				Emergency: ev.Emergency, Detail: ev.Detail, KeyID: l.key.id, Prev: prev}
			ln, err := seal(l.key, &r)
			if err != nil {
				return err
			}
			buf = append(buf, ln...)
			buf = append(buf, '\n')
			prev = r.MAC
			p.recs[i] = r
		}
	}
	if err := l.b.write(ctx, buf, first, seq, l.key.signCheckpoint(seq, prev)); err != nil {
		return fmt.Errorf("audit: append seq %d-%d: %w", first, seq, err)
	}
	l.seq, l.prev = seq, prev
	return nil
}

// Verify checks the whole stored log (chain, MACs and checkpoint). It returns
// a *VerifyError naming the first bad record.
func (l *Log) Verify(ctx context.Context) (Summary, error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.b.verify(ctx, l.key, nil)
}

// Show prints the records at or after since, one per line, for humans.
// Records whose MAC does not verify are marked UNVERIFIED.
func (l *Log) Show(w io.Writer, since time.Time) error {
	return l.ShowContext(context.Background(), w, since)
}

// ShowContext is Show with a context for object-store reads.
func (l *Log) ShowContext(ctx context.Context, w io.Writer, since time.Time) error {
	return l.b.scan(ctx, func(ln []byte) error {
		pr := parseLine(l.key, ln)
		if pr.reason != "" {
			_, err := fmt.Fprintf(w, "UNPARSEABLE line (%s)\n", pr.reason)
			return err
		}
		t, _ := time.Parse(time.RFC3339Nano, pr.rec.Time)
		if t.Before(since) {
			return nil
		}
		mark := ""
		if !pr.macOK {
			mark = "UNVERIFIED "
		}
		_, err := fmt.Fprintf(w, "%s%s\n", mark, pr.rec.String())
		return err
	})
}

// LastSeq returns the seq of the last durable record.
func (l *Log) LastSeq() uint64 {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.seq
}

// Close closes the log; further appends fail with ErrClosed.
func (l *Log) Close() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var aerr error
	if l.opts.Anchor != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		aerr = l.anchorLocked(ctx)
		cancel()
	}
	if err := l.b.close(); err != nil {
		return err
	}
	return aerr
}
