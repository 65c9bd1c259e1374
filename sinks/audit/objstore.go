package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// Object names used by the object-store form.
const (
	// ObjectPrefix is the prefix of every audit object.
	ObjectPrefix = "audit/"
	// CheckpointObject is the signed head (last seq + hash) of the object-store log.
	CheckpointObject = "audit/HEAD"
)

// BatchObjectName returns the object name of the batch holding seqs first..last:
// audit/<first, 20 digits>-<last, 20 digits>.jsonl.
func BatchObjectName(first, last uint64) string {
	return fmt.Sprintf("%s%020d-%020d.jsonl", ObjectPrefix, first, last)
}

func parseBatchName(name string) (first, last uint64, ok bool) {
	s, found := strings.CutPrefix(name, ObjectPrefix)
	if !found {
		return 0, 0, false
	}
	s, found = strings.CutSuffix(s, ".jsonl")
	if !found || len(s) != 41 || s[20] != '-' {
		return 0, 0, false
	}
	f, err1 := strconv.ParseUint(s[:20], 10, 64)
	l, err2 := strconv.ParseUint(s[21:], 10, 64)
	if err1 != nil || err2 != nil || f == 0 || l < f {
		return 0, 0, false
	}
	return f, l, true
}

// storeBackend writes each committed group as one WORM object and then
// replaces the checkpoint object.
type storeBackend struct {
	st        store.Store
	retention func() store.PutOptions
}

// OpenStore opens the audit log kept in st under "audit/". The stored log is
// verified in full first; a log that fails is not opened. Batches are written
// with PutOptions.RetainUntil = now + opts.Retention (S3 object lock); check
// st.RetentionSupported() to know whether that is enforced.
func OpenStore(ctx context.Context, st store.Store, key *Key, opts Options) (*Log, error) {
	if key == nil {
		return nil, errors.New("audit: open: no key")
	}
	if st == nil {
		return nil, errors.New("audit: open: no store")
	}
	b := &storeBackend{st: st}
	l := newLog(key, b, Summary{}, opts)
	b.retention = func() store.PutOptions {
		return store.PutOptions{RetainUntil: l.opts.Now().Add(l.opts.Retention).UTC(),
			Metadata: map[string]string{"safeharbor-audit-kid": key.id}}
	}
	sum, err := b.verify(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	l.seq, l.prev = sum.LastSeq, sum.LastMAC
	if err := l.openAnchored(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

func (b *storeBackend) write(ctx context.Context, lines []byte, first, last uint64, cp Checkpoint) error {
	if err := b.st.Put(ctx, BatchObjectName(first, last), lines, b.retention()); err != nil {
		return err
	}
	return b.st.Put(ctx, CheckpointObject, encodeCheckpoint(cp), store.PutOptions{})
}

// objectIter yields the lines of the batch objects in name order.
type objectIter struct {
	ctx   context.Context
	st    store.Store
	names []string
	cur   *readerIter
}

func (it *objectIter) next() (line, bool, error) {
	for {
		if it.cur != nil {
			l, ok, err := it.cur.next()
			if err != nil || ok {
				return l, ok, err
			}
			it.cur = nil
		}
		if len(it.names) == 0 {
			return line{}, false, nil
		}
		name := it.names[0]
		it.names = it.names[1:]
		data, err := it.st.Get(it.ctx, name)
		if err != nil {
			return line{}, false, fmt.Errorf("audit: read %s: %w", name, err)
		}
		it.cur = newReaderIter(bytes.NewReader(data), name)
	}
}

func (b *storeBackend) list(ctx context.Context) ([]string, error) {
	var names []string
	err := b.st.List(ctx, ObjectPrefix, func(in store.Info) error {
		if in.Name == CheckpointObject {
			return nil
		}
		if _, _, ok := parseBatchName(in.Name); !ok {
			return &VerifyError{Kind: KindUnparseable, Source: in.Name, Detail: "object name is not audit/<20-digit first>-<20-digit last>.jsonl"}
		}
		names = append(names, in.Name)
		return nil
	})
	return names, err
}

func (b *storeBackend) verify(ctx context.Context, key *Key, m *macsAt) (Summary, error) {
	var cp *Checkpoint
	data, err := b.st.Get(ctx, CheckpointObject)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Summary{}, fmt.Errorf("audit: read checkpoint: %w", err)
	default:
		if cp, err = decodeCheckpoint(key, CheckpointObject, data); err != nil {
			return Summary{}, err
		}
	}
	names, err := b.list(ctx)
	if err != nil {
		return Summary{}, err
	}
	if cp == nil && len(names) > 0 {
		return Summary{}, &VerifyError{Kind: KindBadCheckpoint, Source: CheckpointObject, Seq: 1,
			Detail: "checkpoint missing while batch objects exist"}
	}
	// Each object must hold exactly the seqs its name says.
	seen := map[string][2]uint64{}
	v := &verifier{key: key, cp: cp, macs: m, onRecord: func(src string, seq uint64) {
		r, ok := seen[src]
		if !ok {
			r[0] = seq
		}
		r[1] = seq
		seen[src] = r
	}}
	sum, err := v.run(&objectIter{ctx: ctx, st: b.st, names: names})
	if err != nil {
		return sum, err
	}
	for _, n := range names {
		f, l, _ := parseBatchName(n)
		if r := seen[n]; r[0] != f || r[1] != l {
			return sum, &VerifyError{Kind: KindEdited, Seq: f, Source: n,
				Detail: fmt.Sprintf("object name says seq %d-%d but it holds %d-%d", f, l, r[0], r[1])}
		}
	}
	return sum, nil
}

func (b *storeBackend) scan(ctx context.Context, fn func([]byte) error) error {
	names, err := b.list(ctx)
	if err != nil {
		return err
	}
	it := &objectIter{ctx: ctx, st: b.st, names: names}
	for {
		l, ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		if err := fn(l.data); err != nil {
			return err
		}
	}
}

func (b *storeBackend) close() error { return nil }
