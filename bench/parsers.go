package bench

import (
	"bytes"
	"fmt"
	"strings"

	khl7 "github.com/kardianos/hl7"
	"github.com/kardianos/hl7/h210"
	"github.com/kardianos/hl7/h220"
	"github.com/kardianos/hl7/h231"
	"github.com/kardianos/hl7/h240"
	"github.com/kardianos/hl7/h250"
	"github.com/kardianos/hl7/h251"
	"github.com/kardianos/hl7/h270"
	"github.com/kardianos/hl7/h271"
	"github.com/kardianos/hl7/h280"
	lhl7 "github.com/lenaten/hl7"

	"github.com/safeharbor/safeharbor/hl7"
)

// kardianosRegistries maps an HL7 version (MSH-12) to kardianos/hl7's
// generated registry for it; the decoder needs the version's segment tables.
// In v1.1.2 the h230 and h260 registries do not implement the library's own
// Registry interface, so 2.3 uses the 2.3.1 tables and 2.6 the 2.7 ones.
var kardianosRegistries = map[string]khl7.Registry{
	"2.1": h210.Registry, "2.2": h220.Registry, "2.3": h231.Registry, "2.3.1": h231.Registry,
	"2.4": h240.Registry, "2.5": h250.Registry, "2.5.1": h251.Registry, "2.6": h270.Registry,
	"2.7": h270.Registry, "2.7.1": h271.Registry, "2.8": h280.Registry,
}

// KardianosDecoder returns a kardianos/hl7 decoder for msg's HL7 version, or
// nil if the library has no tables for it.
func KardianosDecoder(msg []byte) *khl7.Decoder {
	m, err := hl7.Parse(msg)
	if err != nil {
		return nil
	}
	v := m.Version()
	if i := strings.IndexAny(v, "^&"); i >= 0 {
		v = v[:i]
	}
	reg, ok := kardianosRegistries[v]
	if !ok {
		return nil
	}
	return khl7.NewDecoder(reg, nil)
}

// ParseLenaten parses msg with lenaten/hl7 and returns its segment count.
func ParseLenaten(msg []byte) (int, error) {
	m := lhl7.NewMessage(msg)
	if err := m.Parse(); err != nil {
		return 0, err
	}
	return len(m.Segments), nil
}

// ParseKardianos decodes msg with kardianos/hl7 (segment list, no trigger
// grouping) and returns the number of decoded segments.
func ParseKardianos(d *khl7.Decoder, msg []byte) (int, error) {
	list, err := d.DecodeList(msg)
	return len(list), err
}

// Splitter is the naive zero-copy baseline: it finds segment ends with
// bytes.IndexByte on CR and field separators with bytes.IndexByte on '|',
// recording offsets in a reused slice. It validates nothing; it is the
// practical speed limit of any ER7 parser.
type Splitter struct {
	Segs   []int32 // segment end offsets
	Fields []int32 // field separator offsets
}

// Split indexes msg and returns the number of segments.
func (s *Splitter) Split(msg []byte) int {
	s.Segs, s.Fields = s.Segs[:0], s.Fields[:0]
	for pos := 0; pos < len(msg); {
		end := bytes.IndexByte(msg[pos:], '\r')
		if end < 0 {
			end = len(msg)
		} else {
			end += pos
		}
		seg := msg[pos:end]
		for j := 0; ; {
			k := bytes.IndexByte(seg[j:], '|')
			if k < 0 {
				break
			}
			s.Fields = append(s.Fields, int32(pos+j+k))
			j += k + 1
		}
		s.Segs = append(s.Segs, int32(end))
		pos = end + 1
	}
	return len(s.Segs)
}

// Verdict says how a peer handled a message.
type Verdict int

// Verdicts.
const (
	Accepted  Verdict = iota
	Rejected          // error or panic
	Misparsed         // no error, but a segment count different from hl7.Parse's
)

// Check runs parse on msg, recovering from panics, and compares its segment
// count with want.
func Check(parse func([]byte) (int, error), msg []byte, want int) (v Verdict, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = Rejected, fmt.Errorf("panic: %v", r)
		}
	}()
	n, err := parse(msg)
	if err != nil {
		return Rejected, err
	}
	if n != want {
		return Misparsed, fmt.Errorf("%d segments, want %d", n, want)
	}
	return Accepted, nil
}
