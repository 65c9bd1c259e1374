package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// Anchor writes the log's current head (last seq and MAC, signed) to
// opts.Anchor, unless that head is already anchored. Call it on a schedule and
// at shutdown (Close does); a Log without an anchor does nothing.
func (l *Log) Anchor(ctx context.Context) error {
	if l.opts.Anchor == nil {
		return nil
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.anchorLocked(ctx)
}

func (l *Log) anchorLocked(ctx context.Context) error {
	if l.anchored && l.anchoredSeq == l.seq {
		return nil
	}
	if err := l.opts.Anchor.Put(ctx, l.key.signCheckpoint(l.seq, l.prev)); err != nil {
		return err
	}
	l.anchored, l.anchoredSeq = true, l.seq
	return nil
}

// VerifyAnchored verifies the whole stored log (as Verify) and then against
// the anchors of opts.Anchor: rollback, truncation, deletion and replacement
// of the log are reported as a *VerifyError.
func (l *Log) VerifyAnchored(ctx context.Context) (Summary, AnchorReport, error) {
	if l.opts.Anchor == nil {
		return Summary{}, AnchorReport{}, errors.New("audit: no anchor configured")
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return verifyAnchored(ctx, l.key, l.b, l.opts.Anchor)
}

type verifierBackend interface {
	verify(ctx context.Context, key *Key, m *macsAt) (Summary, error)
}

func verifyAnchored(ctx context.Context, key *Key, b verifierBackend, a Anchor) (Summary, AnchorReport, error) {
	cps, err := readAnchors(ctx, a, key)
	if err != nil {
		return Summary{}, AnchorReport{}, err
	}
	m := newMacsAt(cps)
	sum, err := b.verify(ctx, key, m)
	if err != nil {
		return sum, AnchorReport{Anchors: len(cps)}, err
	}
	rep, err := checkAnchors(src(b), sum, cps, m)
	return sum, rep, err
}

func src(b verifierBackend) string {
	switch b := b.(type) {
	case *fileBackend:
		return b.path
	case *storeBackend:
		return "audit/"
	}
	return "log"
}

// openAnchored checks a freshly opened log against its anchors (a rolled-back
// log is not opened, so nobody appends to it) and anchors its head.
func (l *Log) openAnchored(ctx context.Context) error {
	if l.opts.Anchor == nil {
		return nil
	}
	if _, _, err := verifyAnchored(ctx, l.key, l.b, l.opts.Anchor); err != nil {
		var ve *VerifyError
		// A log that was never anchored (created before anchoring was
		// configured) is anchored now; anything else is refused.
		if !errors.As(err, &ve) || ve.Kind != KindNotAnchored {
			return err
		}
	}
	return l.anchorLocked(ctx)
}

// VerifyFile verifies the log file at path against its head file and, when a
// is not nil, against the anchors, without opening the log for writing. A
// missing log or head file is checked against the anchors as an empty log.
func VerifyFile(ctx context.Context, path string, key *Key, a Anchor) (Summary, AnchorReport, error) {
	if key == nil {
		return Summary{}, AnchorReport{}, errors.New("audit: verify: no key")
	}
	_, lerr := os.Stat(path)
	_, herr := os.Stat(CheckpointPath(path))
	if errors.Is(lerr, fs.ErrNotExist) || errors.Is(herr, fs.ErrNotExist) {
		if a == nil {
			if lerr != nil {
				return Summary{}, AnchorReport{}, fmt.Errorf("audit: log %s: %w", path, lerr)
			}
			return Summary{}, AnchorReport{}, &VerifyError{Kind: KindBadCheckpoint, Source: CheckpointPath(path), Seq: 1, Detail: "checkpoint missing"}
		}
		cps, err := readAnchors(ctx, a, key)
		if err != nil {
			return Summary{}, AnchorReport{}, err
		}
		if len(cps) > 0 && cps[len(cps)-1].Seq > 0 {
			what := "log"
			if lerr == nil {
				what = "head file"
			}
			return Summary{}, AnchorReport{Anchors: len(cps)}, &VerifyError{Kind: KindRolledBack, Source: path, Seq: 1,
				Detail: fmt.Sprintf("the %s is missing but an anchor pins seq %d: the log was deleted", what, cps[len(cps)-1].Seq)}
		}
		if lerr != nil {
			return Summary{}, AnchorReport{Anchors: len(cps)}, nil
		}
	}
	b := &fileBackend{path: path}
	if a == nil {
		sum, err := b.verify(ctx, key, nil)
		return sum, AnchorReport{}, err
	}
	return verifyAnchored(ctx, key, b, a)
}

// VerifyStore verifies the log kept in st (see OpenStore) and, when a is not
// nil, against the anchors, without writing anything.
func VerifyStore(ctx context.Context, st store.Store, key *Key, a Anchor) (Summary, AnchorReport, error) {
	if key == nil {
		return Summary{}, AnchorReport{}, errors.New("audit: verify: no key")
	}
	b := &storeBackend{st: st}
	if a == nil {
		sum, err := b.verify(ctx, key, nil)
		return sum, AnchorReport{}, err
	}
	return verifyAnchored(ctx, key, b, a)
}
