package hl7

import (
	"testing"
)

func benchMessages(b *testing.B) ([][]byte, int) {
	msgs := corpusMessages(b)
	total := 0
	for _, m := range msgs {
		total += len(m)
	}
	return msgs, total
}

// BenchmarkParse parses every corpus message (segments split, fields indexed lazily).
func BenchmarkParse(b *testing.B) {
	msgs, total := benchMessages(b)
	var m Message
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range msgs {
			if err := m.Reset(d); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}

// BenchmarkParseAllFields parses and indexes every field of every segment,
// the same work an eager parser does.
func BenchmarkParseAllFields(b *testing.B) {
	msgs, total := benchMessages(b)
	var m Message
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range msgs {
			if err := m.Reset(d); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < m.NumSegments(); i++ {
				s := m.Segment(i)
				n := s.NumFields()
				for f := 1; f <= n; f++ {
					_ = s.Field(f)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}

// BenchmarkParseSerialize parses and serializes every message.
func BenchmarkParseSerialize(b *testing.B) {
	msgs, total := benchMessages(b)
	var m Message
	buf := make([]byte, 0, 1<<20)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range msgs {
			if err := m.Reset(d); err != nil {
				b.Fatal(err)
			}
			buf = m.AppendTo(buf[:0])
		}
	}
}

// BenchmarkParseEditSerialize parses, edits PID-5 and PID-7, and serializes.
func BenchmarkParseEditSerialize(b *testing.B) {
	msgs, total := benchMessages(b)
	var m Message
	buf := make([]byte, 0, 1<<20)
	p5, p7 := MustParsePath("PID-5"), MustParsePath("PID-7")
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range msgs {
			if err := m.Reset(d); err != nil {
				b.Fatal(err)
			}
			_ = m.SetRawPath(p5, nil)
			_ = m.SetRawPath(p7, []byte("1980"))
			buf = m.AppendTo(buf[:0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}
