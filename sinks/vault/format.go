package vault

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"time"
)

var segMagic = []byte("SHVSEG01")

var dekMagic = []byte("SHVKEY02")

const (
	prefixSize   = 8 + 4 + 4
	maxHeaderLen = 64 << 10
	maxIndexLen  = 512 << 20
	formatV2     = 2
)

const (
	kindPatient = 0 // record sealed with the patient's DEK
	kindSegment = 1 // record sealed with the segment key (no pseudonym)
)

// entry is one record in a segment index.
type entry struct {
	off, length int64 // relative to the start of the records area
	offset      int64 // source offset
	time        int64 // unix nanoseconds
	kind        byte
	pseudonym   string
	msgType     string
	keyID       string
	kid         string // data key id (kindPatient only)
}

// header is the plaintext segment header (authenticated as the index's associated data).
type header struct {
	name       string
	source     string
	partition  int32
	kekID      string
	wrappedKey []byte
	records    uint32
	recordsLen uint64
}

type cursor struct {
	b   []byte
	err bool
}

func (c *cursor) n(k int) []byte {
	if c.err || len(c.b) < k {
		c.err = true
		return make([]byte, k)
	}
	v := c.b[:k]
	c.b = c.b[k:]
	return v
}
func (c *cursor) u8() byte    { return c.n(1)[0] }
func (c *cursor) u16() int    { return int(binary.BigEndian.Uint16(c.n(2))) }
func (c *cursor) u32() uint32 { return binary.BigEndian.Uint32(c.n(4)) }
func (c *cursor) u64() uint64 { return binary.BigEndian.Uint64(c.n(8)) }
func (c *cursor) str8() string {
	return string(c.n(int(c.u8())))
}
func (c *cursor) str16() string { return string(c.n(c.u16())) }

func appendStr8(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }
func appendStr16(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint16(b, uint16(len(s))), s...)
}

func (h *header) encode() []byte {
	b := []byte{formatV2}
	b = appendStr16(b, h.name)
	b = appendStr16(b, h.source)
	b = binary.BigEndian.AppendUint32(b, uint32(h.partition))
	b = appendStr8(b, h.kekID)
	b = append(b, h.wrappedKey...)
	b = binary.BigEndian.AppendUint32(b, h.records)
	return binary.BigEndian.AppendUint64(b, h.recordsLen)
}

func decodeHeader(b []byte) (*header, error) {
	c := &cursor{b: b}
	if c.u8() != formatV2 {
		return nil, errors.New("unknown segment format version")
	}
	h := &header{name: c.str16(), source: c.str16(), partition: int32(c.u32()), kekID: c.str8()}
	h.wrappedKey = bytes.Clone(c.n(wrappedDEKSize))
	h.records = c.u32()
	h.recordsLen = c.u64()
	if c.err || len(c.b) != 0 {
		return nil, errors.New("malformed segment header")
	}
	return h, nil
}

func encodeIndex(es []entry) []byte {
	b := make([]byte, 0, len(es)*80)
	for _, e := range es {
		b = binary.BigEndian.AppendUint64(b, uint64(e.off))
		b = binary.BigEndian.AppendUint64(b, uint64(e.length))
		b = binary.BigEndian.AppendUint64(b, uint64(e.offset))
		b = binary.BigEndian.AppendUint64(b, uint64(e.time))
		b = append(b, e.kind)
		b = appendStr16(b, e.pseudonym)
		b = appendStr8(b, e.msgType)
		b = appendStr8(b, e.keyID)
		b = appendStr8(b, e.kid)
	}
	return b
}

func decodeIndex(b []byte, h *header) ([]entry, error) {
	c := &cursor{b: b}
	es := make([]entry, 0, min(h.records, 1<<20))
	var next int64
	for range h.records {
		e := entry{off: int64(c.u64()), length: int64(c.u64()), offset: int64(c.u64()), time: int64(c.u64()), kind: c.u8()}
		e.pseudonym, e.msgType, e.keyID, e.kid = c.str16(), c.str8(), c.str8(), c.str8()
		if c.err {
			return nil, errors.New("malformed segment index")
		}
		// Records are contiguous and cover the records area exactly: no byte is unauthenticated.
		if e.off != next || e.length < nonceSize+tagSize || e.length > math.MaxInt32 || (e.kind != kindPatient && e.kind != kindSegment) ||
			(e.kind == kindPatient) != (len(e.kid) == kidSize) {
			return nil, errors.New("malformed segment index entry")
		}
		next += e.length
		es = append(es, e)
	}
	if len(c.b) != 0 || uint64(next) != h.recordsLen {
		return nil, errors.New("segment index does not match header")
	}
	return es, nil
}

func encodePrefix(hl, il int) []byte {
	b := append([]byte(nil), segMagic...)
	b = binary.BigEndian.AppendUint32(b, uint32(hl))
	return binary.BigEndian.AppendUint32(b, uint32(il))
}

func decodePrefix(b []byte) (hl, il int64, err error) {
	if len(b) != prefixSize || !bytes.Equal(b[:8], segMagic) {
		return 0, 0, errors.New("not a vault segment")
	}
	hl, il = int64(binary.BigEndian.Uint32(b[8:])), int64(binary.BigEndian.Uint32(b[12:]))
	if hl == 0 || hl > maxHeaderLen || il < nonceSize+tagSize || il > maxIndexLen {
		return 0, 0, errors.New("segment lengths out of range")
	}
	return hl, il, nil
}

// Key objects (keys/<shard>/<gen>) hold data keys of many patients:
//
//	"SHVKEY02" | kind u8 (delta or snapshot) | u32 count | entries
//	entry: str8 pseudonym | kid (8 bytes) | str8 KEK id | wrapped key (60 bytes)
//
// Each wrapped key is bound (associated data) to its KEK id, pseudonym and kid.
const (
	keyObjDelta    = 0 // adds keys to the shard
	keyObjSnapshot = 1 // replaces every older object of the shard
)

type keyRecord struct {
	pseudonym string
	kid       string
	kekID     string
	wrapped   []byte
}

func encodeKeyObject(kind byte, recs []keyRecord) []byte {
	b := make([]byte, 0, len(dekMagic)+5+len(recs)*(1+24+kidSize+8+wrappedDEKSize))
	b = append(b, dekMagic...)
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, uint32(len(recs)))
	for _, r := range recs {
		b = appendStr8(b, r.pseudonym)
		b = append(b, r.kid...)
		b = appendStr8(b, r.kekID)
		b = append(b, r.wrapped...)
	}
	return b
}

func decodeKeyObject(b []byte) (kind byte, recs []keyRecord, err error) {
	if !bytes.HasPrefix(b, dekMagic) {
		return 0, nil, errors.New("not a vault key object")
	}
	c := &cursor{b: b[len(dekMagic):]}
	kind = c.u8()
	n := c.u32()
	if kind != keyObjDelta && kind != keyObjSnapshot || uint64(n)*(2+kidSize+1+wrappedDEKSize) > uint64(len(c.b)) {
		return 0, nil, errors.New("malformed vault key object")
	}
	recs = make([]keyRecord, 0, n)
	for range n {
		r := keyRecord{pseudonym: c.str8(), kid: string(c.n(kidSize)), kekID: c.str8()}
		r.wrapped = bytes.Clone(c.n(wrappedDEKSize))
		if c.err || !ValidPseudonym(r.pseudonym) {
			return 0, nil, errors.New("malformed vault key object entry")
		}
		recs = append(recs, r)
	}
	if len(c.b) != 0 {
		return 0, nil, errors.New("trailing bytes in vault key object")
	}
	return kind, recs, nil
}

var pidxMagic = []byte("SHVPIX01")

// encodePseudonymIndex renders the sorted distinct pseudonyms of one segment
// (the object index/<segment name>).
func encodePseudonymIndex(ps []string) []byte {
	b := append([]byte(nil), pidxMagic...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ps)))
	for _, p := range ps {
		b = appendStr8(b, p)
	}
	return b
}

func decodePseudonymIndex(b []byte) ([]string, error) {
	if !bytes.HasPrefix(b, pidxMagic) {
		return nil, errors.New("not a vault pseudonym index")
	}
	c := &cursor{b: b[len(pidxMagic):]}
	n := c.u32()
	if uint64(n) > uint64(len(c.b)) {
		return nil, errors.New("malformed vault pseudonym index")
	}
	ps := make([]string, 0, n)
	for range n {
		ps = append(ps, c.str8())
	}
	if c.err || len(c.b) != 0 {
		return nil, errors.New("malformed vault pseudonym index")
	}
	return ps, nil
}

func fmtTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
