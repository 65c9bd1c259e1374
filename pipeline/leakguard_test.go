package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
)

// leakyDeid simulates an engine bug: after de-identification it writes the
// patient's original MRN (PID-3.1) into a note.
type leakyDeid struct{ eng *deid.Engine }

func (l leakyDeid) HL7(m *hl7.Message, rep *deid.Report) (deid.Result, error) {
	var mrn string
	for s := range m.Segments("PID") {
		mrn = string(hl7.Nth(hl7.Nth(s.Field(3), '~', 1), '^', 1))
	}
	res, err := l.eng.HL7(m, rep)
	if err == nil && mrn != "" {
		err = m.AppendSegment([]byte("NTE|1||patient record " + mrn + " reviewed"))
	}
	return res, err
}

func (l leakyDeid) FHIR(v *fhir.Value, rep *deid.Report) (deid.Result, error) {
	return l.eng.FHIR(v, rep)
}

// TestLeakGuardStopsPlantedIdentifier: a de-identifier that leaks an
// identifier of the original sends those records to the DLQ with a PHI-free
// reason and a metric — never to Parquet or the de-identified topic — while
// clean records go on.
func TestLeakGuardStopsPlantedIdentifier(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	hl7s, fhirs, phi := synthTraffic(11, 30, 10)
	e.produce(tHL7, hl7s)
	e.produce(tFHIR, fhirs)
	cfg := e.config()
	cfg.Deid = leakyDeid{e.eng}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	total := int64(len(hl7s) + len(fhirs))
	waitFor(t, 60*time.Second, "all offsets committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts))+sumCommitted(e.groupOffsets(tFHIR, parts)) == total
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	dlq, _ := e.vaultCount(true)
	good, _ := e.vaultCount(false)
	if dlq != len(hl7s) || good != len(fhirs) {
		t.Fatalf("vault: %d good and %d DLQ records, want %d and %d", good, dlq, len(fhirs), len(hl7s))
	}
	if n := e.datasetRows("messages"); n != int64(len(fhirs)) {
		t.Fatalf("%d dataset rows, want %d (only the clean FHIR records)", n, len(fhirs))
	}
	if out := readAll(t, e, tOutH); len(out) != 0 {
		t.Fatalf("%d leaking messages reached the de-identified HL7 topic", len(out))
	}
	if got := p.Metrics().LeakGuard.Value("hl7v2", "identifier"); got != int64(len(hl7s)) {
		t.Fatalf("leak guard metric %d, want %d", got, len(hl7s))
	}
	notices := readAll(t, e, tDLQ)
	if len(notices) != len(hl7s) {
		t.Fatalf("%d DLQ notices, want %d", len(notices), len(hl7s))
	}
	want := `"class":"` + ClassLeakGuard + `","reason":"leak guard: identifier (PID-3) value found in output NTE-3"`
	for _, n := range notices {
		if !strings.Contains(n, want) {
			t.Fatalf("DLQ notice %s lacks %s", n, want)
		}
	}
	var metrics strings.Builder
	p.Metrics().WritePrometheus(&metrics)
	all := strings.Join(notices, "\n") + e.logBuf.String() + metrics.String()
	for _, v := range phi {
		if len(v) >= 4 && strings.Contains(all, v) {
			t.Fatalf("DLQ notices, logs or metrics contain an identifier from the input")
		}
	}
}
