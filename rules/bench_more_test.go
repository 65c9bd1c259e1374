package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// nDatasets is a rules file with n datasets taken in turn from the ten of
// tenDatasets (renamed after the first round), plus the same drop rule.
func nDatasets(n int) string {
	src := tenDatasets()
	head, rest, _ := strings.Cut(src, "datasets:\n")
	body, drop, _ := strings.Cut(rest, "drop:\n")
	entries := strings.Split(body, "  - name: ")[1:]
	var b strings.Builder
	b.WriteString(head + "datasets:\n")
	for i := range n {
		name, tail, _ := strings.Cut(entries[i%len(entries)], "\n")
		if r := i / len(entries); r > 0 {
			name = fmt.Sprintf("%s_%d", name, r)
		}
		b.WriteString("  - name: " + name + "\n" + tail)
	}
	b.WriteString("drop:\n" + drop)
	return b.String()
}

// benchEvaluate measures the cost rules evaluation adds per de-identified
// message of mixed synthetic HL7 traffic, for any rules file. Each op
// re-reads a de-identified message (hl7.Message.Reset, as fresh as the
// pipeline hands it over: no field index built yet) and evaluates it;
// BenchmarkEvaluateParse is the same op without the evaluation, and the
// rules cost is the difference (the report subtracts it). With parseOnly
// the op stops after the Reset.
func benchEvaluate(b *testing.B, src string, parseOnly bool) {
	s := mustCompile(b, src)
	eng := testEngine(b)
	g := synth.New(1, synth.Options{})
	const n = 256
	raws := make([][]byte, n)
	results := make([]deid.Result, n)
	for i := range raws {
		m, err := hl7.Parse(g.HL7())
		if err != nil {
			b.Fatal(err)
		}
		if results[i], err = eng.HL7(m, &deid.Report{}); err != nil {
			b.Fatal(err)
		}
		raws[i] = m.Bytes()
	}
	ev := s.NewEvaluator()
	var m hl7.Message
	var out Rows
	rows := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Reset()
		if err := m.Reset(raws[i%n]); err != nil {
			b.Fatal(err)
		}
		if parseOnly {
			continue
		}
		if _, err := ev.HL7Rows(&m, results[i%n], &out); err != nil {
			b.Fatal(err)
		}
		rows += out.Len()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/msg")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/msg")
}

// BenchmarkEvaluateParse is the part of every BenchmarkEvaluateN op that is
// not rules work: re-reading the de-identified message.
func BenchmarkEvaluateParse(b *testing.B) { benchEvaluate(b, nDatasets(1), true) }

// BenchmarkEvaluate1 is BenchmarkEvaluate10 with a single dataset (lab rows).
func BenchmarkEvaluate1(b *testing.B) { benchEvaluate(b, nDatasets(1), false) }

// BenchmarkEvaluate50 is BenchmarkEvaluate10 with 50 datasets (the ten, five times).
func BenchmarkEvaluate50(b *testing.B) { benchEvaluate(b, nDatasets(50), false) }

// TestNDatasets: the generated rules files compile with the asked number of datasets.
func TestNDatasets(t *testing.T) {
	for _, n := range []int{1, 10, 50} {
		s := mustCompile(t, nDatasets(n))
		if got := len(s.Datasets()); got != n {
			t.Errorf("nDatasets(%d): %d datasets", n, got)
		}
	}
}
