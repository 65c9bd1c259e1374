package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Kind classifies the first problem Verify finds.
type Kind string

// The kinds of tampering (or damage) Verify reports.
const (
	// KindEdited: a record's content no longer matches its MAC.
	KindEdited Kind = "edited"
	// KindInserted: a record that does not verify sits between two records that chain correctly.
	KindInserted Kind = "inserted"
	// KindDeleted: one or more records are missing (a gap in seq).
	KindDeleted Kind = "deleted"
	// KindReordered: a record is out of order (it appears later or again).
	KindReordered Kind = "reordered"
	// KindTruncated: the log ends before the checkpoint, or its last line is incomplete.
	KindTruncated Kind = "truncated"
	// KindBadHash: a record's prev hash does not match the previous record, or the
	// checkpoint does not match the record it names.
	KindBadHash Kind = "bad hash"
	// KindBadCheckpoint: the checkpoint itself is forged, damaged or missing.
	KindBadCheckpoint Kind = "bad checkpoint"
	// KindUnparseable: a line is not a well-formed audit record.
	KindUnparseable Kind = "unparseable"
	// KindWrongKey: the record was sealed with a different audit key.
	KindWrongKey Kind = "wrong key"
)

// VerifyError describes the first bad record of a log.
type VerifyError struct {
	Kind Kind
	// Seq is the sequence number expected at the bad position.
	Seq uint64
	// Source is the file or object holding the bad line.
	Source string
	// Line is the 1-based line number within Source (0 when not about a line).
	Line int
	// Detail explains further, without quoting record content.
	Detail string
}

// Error says what is wrong and where (kind, source, line, expected seq).
func (e *VerifyError) Error() string {
	return fmt.Sprintf("audit: verify failed: %s at %s line %d (expected seq %d): %s", e.Kind, e.Source, e.Line, e.Seq, e.Detail)
}

// ErrTampered matches every *VerifyError with errors.Is.
var ErrTampered = errors.New("audit: log failed verification")

// Is makes errors.Is(err, ErrTampered) true for verification failures.
func (e *VerifyError) Is(target error) bool { return target == ErrTampered }

// Checkpoint is the signed head of a log: the last durable seq and its MAC.
// Keeping it separately from the records makes truncation of the tail detectable.
type Checkpoint struct {
	Seq   uint64 `json:"seq"`
	MAC   string `json:"mac"`
	KeyID string `json:"kid"`
	Sig   string `json:"sig"`
}

func (k *Key) signCheckpoint(seq uint64, mac string) Checkpoint {
	cp := Checkpoint{Seq: seq, MAC: mac, KeyID: k.id}
	cp.Sig = k.mac([]byte("safeharbor-audit-checkpoint\n"), strconv.AppendUint(nil, seq, 10), []byte("\n"+mac))
	return cp
}

func (k *Key) checkCheckpoint(cp Checkpoint) bool {
	want := k.signCheckpoint(cp.Seq, cp.MAC)
	return hmac.Equal([]byte(want.Sig), []byte(cp.Sig))
}

func encodeCheckpoint(cp Checkpoint) []byte {
	b, _ := json.Marshal(cp)
	return append(b, '\n')
}

func decodeCheckpoint(k *Key, src string, b []byte) (*Checkpoint, error) {
	var cp Checkpoint
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cp); err != nil {
		return nil, &VerifyError{Kind: KindBadCheckpoint, Source: src, Detail: "checkpoint is not valid JSON"}
	}
	if cp.KeyID != k.id {
		return nil, &VerifyError{Kind: KindWrongKey, Source: src, Detail: "checkpoint was signed with audit key " + cp.KeyID + ", not " + k.id}
	}
	if !k.checkCheckpoint(cp) {
		return nil, &VerifyError{Kind: KindBadCheckpoint, Source: src, Detail: "checkpoint signature does not verify"}
	}
	return &cp, nil
}

// Summary describes a log that verified.
type Summary struct {
	Records uint64
	LastSeq uint64
	LastMAC string
}

// line is one log line and where it came from.
type line struct {
	data    []byte
	src     string
	no      int
	partial bool // last line without a trailing newline
}

// lineIter yields lines from one or more sources.
type lineIter interface {
	next() (line, bool, error)
}

// readerIter reads newline-terminated lines from a reader.
type readerIter struct {
	r   *bufio.Reader
	src string
	no  int
}

func newReaderIter(r io.Reader, src string) *readerIter {
	return &readerIter{r: bufio.NewReaderSize(r, 64<<10), src: src}
}

func (it *readerIter) next() (line, bool, error) {
	var buf []byte
	for {
		chunk, err := it.r.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineSize+1 {
			it.no++
			// Skip the rest of the oversized line so the caller sees it as one bad line.
			for err == bufio.ErrBufferFull {
				_, err = it.r.ReadSlice('\n')
			}
			return line{data: []byte("oversized"), src: it.src, no: it.no}, true, nil
		}
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(buf) == 0 {
				return line{}, false, nil
			}
			it.no++
			return line{data: buf, src: it.src, no: it.no, partial: true}, true, nil
		}
		if err != nil {
			return line{}, false, err
		}
		it.no++
		return line{data: buf[:len(buf)-1], src: it.src, no: it.no}, true, nil
	}
}

// peekIter adds one line of lookahead.
type peekIter struct {
	it     lineIter
	peeked *line
	err    error
}

func (p *peekIter) next() (line, bool, error) {
	if p.peeked != nil {
		l := *p.peeked
		p.peeked = nil
		return l, true, nil
	}
	return p.it.next()
}

func (p *peekIter) peek() (line, bool, error) {
	if p.peeked != nil {
		return *p.peeked, true, nil
	}
	l, ok, err := p.it.next()
	if err != nil || !ok {
		return l, ok, err
	}
	p.peeked = &l
	return l, true, nil
}

// verifier walks a chain of records.
type verifier struct {
	key      *Key
	cp       *Checkpoint
	onRecord func(src string, seq uint64)
	// macs, when set, collects the MACs of anchored seqs.
	macs *macsAt
}

func (v *verifier) run(it lineIter) (Summary, error) {
	p := &peekIter{it: it}
	var (
		sum      Summary
		expected uint64 = 1
		prevMAC  string
		cpMAC    string
		lastSrc  string
		lastNo   int
	)
	bad := func(k Kind, l line, detail string) error {
		return &VerifyError{Kind: k, Seq: expected, Source: l.src, Line: l.no, Detail: detail}
	}
	for {
		l, ok, err := p.next()
		if err != nil {
			return sum, fmt.Errorf("audit: read log: %w", err)
		}
		if !ok {
			break
		}
		lastSrc, lastNo = l.src, l.no
		pr := parseLine(v.key, l.data)
		if pr.reason != "" {
			if l.partial {
				return sum, bad(KindTruncated, l, "last line is incomplete (no newline): "+pr.reason)
			}
			return sum, bad(KindUnparseable, l, pr.reason)
		}
		if l.partial {
			return sum, bad(KindTruncated, l, "last line has no trailing newline")
		}
		if !pr.macOK {
			if n, ok, _ := p.peek(); ok {
				np := parseLine(v.key, n.data)
				if np.reason == "" && np.macOK && np.rec.Seq == expected && np.rec.Prev == prevMAC {
					return sum, bad(KindInserted, l, "record does not verify and the records around it chain without it")
				}
			}
			if !pr.kidOK {
				return sum, bad(KindWrongKey, l, "record names audit key "+pr.rec.KeyID+", verifying with "+v.key.id)
			}
			return sum, bad(KindEdited, l, "record content does not match its MAC")
		}
		seq := pr.rec.Seq
		switch {
		case seq > expected:
			// Is the missing record further on (reordered) or gone (deleted)?
			for {
				n, ok, err := p.next()
				if err != nil || !ok {
					break
				}
				if np := parseLine(v.key, n.data); np.reason == "" && np.macOK && np.rec.Seq == expected {
					return sum, bad(KindReordered, l, fmt.Sprintf("found seq %d here; seq %d appears later at %s line %d", seq, expected, n.src, n.no))
				}
			}
			return sum, bad(KindDeleted, l, fmt.Sprintf("found seq %d: %d record(s) missing", seq, seq-expected))
		case seq < expected:
			return sum, bad(KindReordered, l, fmt.Sprintf("found seq %d after seq %d", seq, expected-1))
		}
		if pr.rec.Prev != prevMAC {
			return sum, bad(KindBadHash, l, "prev hash does not match the previous record")
		}
		if v.onRecord != nil {
			v.onRecord(l.src, seq)
		}
		if v.cp != nil && seq == v.cp.Seq {
			cpMAC = pr.rec.MAC
		}
		v.macs.observe(seq, pr.rec.MAC)
		prevMAC = pr.rec.MAC
		sum.Records++
		sum.LastSeq = seq
		sum.LastMAC = prevMAC
		expected++
	}
	if v.cp != nil && v.cp.Seq > 0 {
		if sum.LastSeq < v.cp.Seq {
			return sum, &VerifyError{Kind: KindTruncated, Seq: expected, Source: lastSrc, Line: lastNo + 1,
				Detail: fmt.Sprintf("log ends at seq %d but the checkpoint says %d", sum.LastSeq, v.cp.Seq)}
		}
		if cpMAC != v.cp.MAC {
			return sum, &VerifyError{Kind: KindBadHash, Seq: v.cp.Seq, Source: "checkpoint",
				Detail: fmt.Sprintf("checkpoint hash for seq %d does not match the record", v.cp.Seq)}
		}
	}
	return sum, nil
}

// Verify checks a JSON Lines audit log read from r against key and, when cp is
// not nil, against the signed checkpoint (which detects truncation). It returns
// a *VerifyError naming the first bad record, or nil and a Summary.
func Verify(r io.Reader, key *Key, cp *Checkpoint) (Summary, error) {
	if key == nil {
		return Summary{}, errors.New("audit: verify: no key")
	}
	v := &verifier{key: key, cp: cp}
	return v.run(newReaderIter(r, "log"))
}

// ParseCheckpoint decodes and authenticates a checkpoint file's content.
func ParseCheckpoint(key *Key, b []byte) (*Checkpoint, error) {
	return decodeCheckpoint(key, "checkpoint", b)
}
