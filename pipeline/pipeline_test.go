package pipeline

import (
	"strings"
	"testing"
	"time"
)

// TestEndToEndLocal: HL7v2 and FHIR records in, one vault record each, the
// expected dataset rows, de-identified output, offsets committed, no PHI in logs.
func TestEndToEndLocal(t *testing.T) {
	const parts = 3
	e := newEnv(t, parts, nil, nil)
	hl7s, fhirs, phi := synthTraffic(1, 600, 200)
	e.produce(tHL7, hl7s)
	e.produce(tFHIR, fhirs)
	p, err := New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	waitFor(t, 60*time.Second, "all offsets committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts))+sumCommitted(e.groupOffsets(tFHIR, parts)) == int64(len(hl7s)+len(fhirs))
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	n, offs := e.vaultCount(false)
	if n != len(hl7s)+len(fhirs) || len(offs) != n {
		t.Fatalf("vault holds %d records (%d distinct offsets), want %d", n, len(offs), len(hl7s)+len(fhirs))
	}
	if d, _ := e.vaultCount(true); d != 0 {
		t.Fatalf("DLQ holds %d records, want 0; failures: %v", d, p.Metrics().RecordsFailed.vals)
	}
	if rows := e.datasetRows("messages"); rows != int64(len(hl7s)+len(fhirs)) {
		t.Fatalf("dataset rows %d, want %d", rows, len(hl7s)+len(fhirs))
	}
	if got := p.Metrics().OutputMessages.Value(tOutH); got != int64(len(hl7s)) {
		t.Fatalf("output HL7 messages %d, want %d", got, len(hl7s))
	}
	logs := e.logBuf.String()
	for _, v := range phi {
		if len(v) >= 4 && strings.Contains(logs, v) {
			t.Fatalf("log contains an identifier from the input")
		}
	}
}
