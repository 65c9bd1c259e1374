package hl7

import (
	"bytes"
	"io"
	"testing"
)

func addCorpusSeeds(f *testing.F, frame bool) {
	defer func() { _ = recover() }() // a missing corpus only means fewer seeds
	n := 0
	for _, msg := range corpusMessagesForSeeds() {
		if frame {
			msg = AppendMLLP(nil, msg)
		}
		f.Add(msg)
		n++
	}
	f.Add([]byte("MSH|^~\\&|A\rPID|1||x^y~z&w\\F\\\r"))
	f.Add([]byte("MSH#!@%*#A#B\rPID#1##a!b@c%F%\r"))
}

// corpusMessagesForSeeds reads corpus messages without a *testing.T.
func corpusMessagesForSeeds() [][]byte {
	tb := &seedTB{}
	var out [][]byte
	func() {
		defer func() { _ = recover() }()
		out = corpusMessages(tb)
	}()
	return out
}

// FuzzParse: parsing never panics; an accepted message serializes to its
// input, and an edited one re-parses to the same structure (stable).
func FuzzParse(f *testing.F) {
	addCorpusSeeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if !bytes.Equal(m.Bytes(), data) {
			t.Fatalf("round trip differs")
		}
		// fields read out of order and across segments (a partly built
		// field index) equal the ones read after indexing a whole segment
		lazy, _ := Parse(data)
		for _, k := range []int{2, 1, 30, 13, 14, 3, 60, 12, 25} {
			for i := lazy.NumSegments() - 1; i >= 0; i-- {
				if !bytes.Equal(lazy.Segment(i).Field(k), fullField(m, i, k)) {
					t.Fatalf("segment %d field %d differs when read lazily", i, k)
				}
			}
		}
		for s := range m.Segments("") {
			for i := 1; i <= s.NumFields() && i < 50; i++ {
				_ = m.Unescape(s.Field(i))
			}
		}
		// edit and re-parse: the result parses and the edit reads back
		if m.NumSegments() > 1 {
			name := m.Segment(1).Name()
			p := Path{Segment: name, Field: 2, Comp: 2}
			if err := m.SetPath(p, "va|l^u~e&\\x"); err == nil {
				out := m.Bytes()
				m2, err := Parse(out)
				if err != nil {
					t.Fatalf("edited output does not parse: %v", err)
				}
				if !bytes.Equal(m2.Bytes(), out) {
					t.Fatalf("edited output not stable")
				}
				d := m.Delims()
				if d.Escape != 0 && d.Component != 0 && d.Repetition != 0 && d.Subcomponent != 0 {
					if got, _ := m2.GetPath(Path{Segment: name, Field: 2, Rep: 1, Comp: 2}); got != "va|l^u~e&\\x" {
						t.Fatalf("edit reads back %q", got)
					}
				}
			}
		}
	})
}

// FuzzPath: any path text either fails with ErrBadPath or round-trips, and
// using it on a message never panics.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"PID-5", "PID-3[2].1", "OBX[3]-5", "PID-3.4.1", "MSH-2", "ZZZ[9]-99[9].9.9", "PID-", "P[D"} {
		f.Add(s, "value")
	}
	m0 := []byte(adt)
	f.Fuzz(func(t *testing.T, path, value string) {
		p, err := ParsePath(path)
		if err != nil {
			return
		}
		if p2, err := ParsePath(p.String()); err != nil || p2 != p {
			t.Fatalf("path %q does not round trip via %q", path, p.String())
		}
		m, _ := Parse(m0)
		_, _ = m.Get(path)
		if err := m.Set(path, value); err == nil {
			if _, err := Parse(m.Bytes()); err != nil {
				t.Fatalf("set %q broke the message: %v", path, err)
			}
		}
		_ = m.Clear(path)
		_ = m.DeleteSegment(path)
	})
}

// FuzzMLLP: the frame reader never panics or loops, and every frame it
// returns was written by a well-framed writer when the input is well framed.
func FuzzMLLP(f *testing.F) {
	addCorpusSeeds(f, true)
	f.Add([]byte("\x0bMSH|^~\\&|A\x1c\r\x0bjunk"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewMLLPReader(bytes.NewReader(data), 4096)
		for i := 0; i <= len(data)+1; i++ {
			msg, err := r.ReadMessage()
			if err == io.EOF || err != nil && !isRecoverable(err) {
				return
			}
			if err == nil && bytes.IndexByte(msg, mllpEnd) >= 0 {
				t.Fatalf("frame payload contains the end byte")
			}
		}
		t.Fatalf("reader did not finish")
	})
}

// FuzzScanner: the stream splitter never panics, terminates, and every
// message it returns starts with MSH.
func FuzzScanner(f *testing.F) {
	addCorpusSeeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := NewScanner(bytes.NewReader(data), 2048)
		for i := 0; i <= len(data)+1; i++ {
			msg, err := sc.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				continue
			}
			if !bytes.HasPrefix(msg, []byte("MSH")) {
				t.Fatalf("message does not start with MSH")
			}
		}
		t.Fatalf("scanner did not finish")
	})
}

func isRecoverable(err error) bool {
	_, ok := err.(*Error)
	return ok && !errorsIs(err, ErrFrameTruncated)
}

// fullField reads field k of segment i after indexing the whole segment.
func fullField(m *Message, i, k int) []byte {
	s := m.Segment(i)
	_ = s.NumFields()
	return s.Field(k)
}
