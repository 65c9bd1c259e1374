package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// An Anchor keeps copies of the log's signed checkpoints (its head: last seq
// and that record's MAC) where whoever can rewrite the log cannot remove them:
// a WORM bucket (S3 object lock, compliance mode) or, for single-host setups,
// an append-only directory. Replacing the log and its head file with an older
// copy (rollback), truncating it or deleting it still verifies against the head
// file alone, but not against the anchors: every anchored seq must be in the
// log with the anchored MAC (see VerifyAnchors).
type Anchor interface {
	// Put stores cp as a new anchor; it never replaces an earlier one.
	Put(ctx context.Context, cp Checkpoint) error
	// List returns every stored anchor's raw content (order unspecified).
	List(ctx context.Context) ([]AnchorEntry, error)
	// String names the anchor for messages (never a credential).
	String() string
}

// AnchorEntry is one stored anchor as read back.
type AnchorEntry struct {
	// Name is the file or object name.
	Name string
	// Data is the encoded checkpoint.
	Data []byte
}

// AnchorPrefix is the object prefix of anchors in a store.
const AnchorPrefix = "audit-anchor/"

func anchorName(cp Checkpoint, now time.Time) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%020d-%020d-%s.json", cp.Seq, now.UnixNano(), hex.EncodeToString(r[:]))
}

// FileAnchor keeps anchors as read-only files created exclusively (O_EXCL) in a
// directory. It is append-only against mistakes and against users without write
// access to the directory, not against the directory's owner: use a WORM bucket
// (StoreAnchor) where the log's writer must not be able to erase its history.
type FileAnchor struct {
	Dir string
	Now func() time.Time
}

// Put writes cp to a new file (mode 0400) and syncs it and the directory.
func (a *FileAnchor) Put(_ context.Context, cp Checkpoint) error {
	if err := os.MkdirAll(a.Dir, 0o700); err != nil {
		return fmt.Errorf("audit: anchor: %w", err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	p := filepath.Join(a.Dir, anchorName(cp, now()))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o400)
	if err != nil {
		return fmt.Errorf("audit: anchor: %w", err)
	}
	_, err = f.Write(encodeCheckpoint(cp))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: anchor %s: %w", filepath.Base(p), err)
	}
	if d, err := os.Open(a.Dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// List reads every anchor file of the directory (a missing directory is empty).
func (a *FileAnchor) List(_ context.Context) ([]AnchorEntry, error) {
	ents, err := os.ReadDir(a.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: anchors: %w", err)
	}
	var out []AnchorEntry
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(a.Dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("audit: anchor %s: %w", e.Name(), err)
		}
		out = append(out, AnchorEntry{Name: e.Name(), Data: b})
	}
	return out, nil
}

// String names the directory.
func (a *FileAnchor) String() string { return "dir " + a.Dir }

// StoreAnchor keeps anchors as objects under AnchorPrefix in a store, each
// written with retention (S3 object lock; the store's retention mode,
// COMPLIANCE by default) so that not even the bucket's owner can delete or
// overwrite them before the retention ends.
type StoreAnchor struct {
	Store store.Store
	// Retention is how long each anchor is locked (default DefaultRetention).
	Retention time.Duration
	// RequireLock refuses a store that does not enforce retention.
	RequireLock bool
	Now         func() time.Time
}

// Put writes cp as a new, retained object.
func (a *StoreAnchor) Put(ctx context.Context, cp Checkpoint) error {
	if a.RequireLock && !a.Store.RetentionSupported() {
		return errors.New("audit: anchor: the bucket does not enforce object lock (create it with object locking)")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	ret := a.Retention
	if ret <= 0 {
		ret = DefaultRetention
	}
	t := now()
	name := AnchorPrefix + anchorName(cp, t)
	if err := a.Store.Put(ctx, name, encodeCheckpoint(cp), store.PutOptions{RetainUntil: t.Add(ret).UTC(),
		Metadata: map[string]string{"safeharbor-audit-anchor-seq": strconv.FormatUint(cp.Seq, 10)}}); err != nil {
		return fmt.Errorf("audit: anchor: %w", err)
	}
	return nil
}

// List reads every anchor object.
func (a *StoreAnchor) List(ctx context.Context) ([]AnchorEntry, error) {
	var names []string
	if err := a.Store.List(ctx, AnchorPrefix, func(in store.Info) error {
		names = append(names, in.Name)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("audit: anchors: %w", err)
	}
	out := make([]AnchorEntry, 0, len(names))
	for _, n := range names {
		b, err := a.Store.Get(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("audit: anchor %s: %w", n, err)
		}
		out = append(out, AnchorEntry{Name: n, Data: b})
	}
	return out, nil
}

// String names the anchor kind.
func (a *StoreAnchor) String() string { return "bucket prefix " + AnchorPrefix }

// KindRolledBack: the log is older than an anchor (rolled back, truncated or deleted).
const KindRolledBack Kind = "rolled back"

// KindForked: the log's record at an anchored seq is not the anchored one
// (the log was replaced by another chain).
const KindForked Kind = "forked"

// KindNotAnchored: the log holds records but no anchor exists.
const KindNotAnchored Kind = "not anchored"

// AnchorReport says how a log relates to its anchors.
type AnchorReport struct {
	// Anchors is the number of valid anchors read.
	Anchors int
	// AnchoredSeq is the highest anchored seq (every record up to it is pinned).
	AnchoredSeq uint64
	// Unanchored is the number of records after AnchoredSeq (written since the
	// last anchor; they are protected only by the head file).
	Unanchored uint64
}

// readAnchors decodes and authenticates anchors; a forged or damaged anchor is
// an error (an attacker cannot write one that verifies without the key).
func readAnchors(ctx context.Context, a Anchor, key *Key) ([]Checkpoint, error) {
	ents, err := a.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Checkpoint, 0, len(ents))
	for _, e := range ents {
		cp, err := decodeCheckpoint(key, "anchor "+e.Name, e.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, *cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// macsAt collects the MAC of each wanted seq while a log is verified.
type macsAt struct {
	want map[uint64]bool
	got  map[uint64]string
}

// checkAnchors compares a verified log (sum, with the MACs of the anchored seqs
// collected in m) with its anchors.
func checkAnchors(src string, sum Summary, cps []Checkpoint, m *macsAt) (AnchorReport, error) {
	rep := AnchorReport{Anchors: len(cps)}
	if len(cps) == 0 {
		if sum.Records > 0 {
			return rep, &VerifyError{Kind: KindNotAnchored, Source: src, Seq: 1,
				Detail: fmt.Sprintf("the log holds %d records but no anchor exists (deleted anchors, or a log that was never anchored)", sum.Records)}
		}
		return rep, nil
	}
	last := cps[len(cps)-1]
	if sum.LastSeq < last.Seq {
		return rep, &VerifyError{Kind: KindRolledBack, Source: src, Seq: sum.LastSeq + 1,
			Detail: fmt.Sprintf("log ends at seq %d but an anchor pins seq %d: records were removed (rollback, truncation or deletion)", sum.LastSeq, last.Seq)}
	}
	for _, cp := range cps {
		if cp.Seq == 0 {
			continue
		}
		if got := m.got[cp.Seq]; got != cp.MAC {
			return rep, &VerifyError{Kind: KindForked, Source: src, Seq: cp.Seq,
				Detail: fmt.Sprintf("the record at seq %d is not the anchored one: the log was replaced", cp.Seq)}
		}
	}
	rep.AnchoredSeq = last.Seq
	rep.Unanchored = sum.LastSeq - last.Seq
	return rep, nil
}

func newMacsAt(cps []Checkpoint) *macsAt {
	m := &macsAt{want: map[uint64]bool{}, got: map[uint64]string{}}
	for _, cp := range cps {
		m.want[cp.Seq] = true
	}
	return m
}

func (m *macsAt) observe(seq uint64, mac string) {
	if m != nil && m.want[seq] {
		m.got[seq] = mac
	}
}
