package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
)

// tenDatasets is a 10-dataset rules file over HL7 traffic: lab rows,
// encounters, orders, documents, schedules and more, plus a Part 2 drop rule.
func tenDatasets() string {
	var b strings.Builder
	b.WriteString("version: 1\ndatasets:\n")
	ds := []struct{ name, when, each, cols string }{
		{"lab", `msg.type == "ORU"`, "OBX", `{name: p, type: string, from: pseudonym}, {name: code, type: string, from: 'OBX-3.1'}, {name: v, type: float64, from: 'number(field("OBX-5"))'}, {name: u, type: string, from: 'OBX-6.1'}, {name: y, type: int64, from: 'year(field("OBR-7"))'}`},
		{"lab_flags", `msg.type == "ORU"`, "OBX", `{name: code, type: string, from: 'OBX-3.1'}, {name: f, type: string, from: 'OBX-8'}`},
		{"panels", `msg.type == "ORU"`, "OBR", `{name: code, type: string, from: 'OBR-4.1'}, {name: y, type: int64, from: 'OBR-7'}`},
		{"enc", `msg.type == "ADT"`, "message", `{name: p, type: string, from: pseudonym}, {name: e, type: string, from: msg.event}, {name: c, type: string, from: 'PV1-2'}, {name: y, type: int64, from: 'year(field("PV1-44"))'}`},
		{"dx", `msg.type == "ADT"`, "DG1", `{name: code, type: string, from: 'DG1-3.1'}, {name: sys, type: string, from: 'DG1-3.3'}`},
		{"orders", `msg.type == "ORM"`, "ORC", `{name: ctl, type: string, from: 'ORC-1'}, {name: st, type: string, from: 'ORC-5'}`},
		{"docs", `msg.type == "MDM"`, "message", `{name: t, type: string, from: 'TXA-2'}, {name: y, type: int64, from: 'TXA-4'}`},
		{"sched", `msg.type == "SIU"`, "message", `{name: e, type: string, from: msg.event}, {name: r, type: string, from: 'SCH-7.1'}`},
		{"demo", `msg.type in ["ADT", "ORU"]`, "message", `{name: sex, type: string, from: 'PID-8'}, {name: st, type: string, from: 'PID-11.4'}, {name: z, type: string, from: 'zip3(field("PID-11.5"))'}`},
		{"volume", `true`, "message", `{name: t, type: string, from: msg.type}, {name: f, type: string, from: 'MSH-4.1'}`},
	}
	for _, d := range ds {
		fmt.Fprintf(&b, "  - name: %s\n    when: '%s'\n    each: %s\n    columns: [%s]\n", d.name, strings.ReplaceAll(d.when, "'", "''"), d.each, d.cols)
	}
	b.WriteString("drop:\n  - name: part2\n    when: 'any_code(\"DG1-3\", \"I10\", [\"F10\", \"F11\", \"F12\", \"F13\", \"F14\", \"F15\", \"F16\", \"F18\", \"F19\"])'\n")
	return b.String()
}

// BenchmarkEvaluate10 measures what rules evaluation adds per de-identified
// message: 10 datasets over mixed synthetic HL7 traffic (de-identification
// itself is done before the timer; each op re-reads the message, see
// benchEvaluate), rows collected into a reused Rows as the pipeline does.
func BenchmarkEvaluate10(b *testing.B) { benchEvaluate(b, tenDatasets(), false) }

// BenchmarkDeidHL7 is the reference the rules cost is compared with:
// de-identifying the same synthetic messages (parse + deid per op).
func BenchmarkDeidHL7(b *testing.B) {
	eng := testEngine(b)
	g := synth.New(1, synth.Options{})
	const n = 256
	raw := make([][]byte, n)
	for i := range raw {
		raw[i] = g.HL7()
	}
	var rep deid.Report
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := hl7.Parse(raw[i%n])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := eng.HL7(m, &rep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/msg")
}
