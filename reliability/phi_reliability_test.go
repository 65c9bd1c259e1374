package reliability

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/internal/synth"
)

// corpusRecords returns up to max HL7v2 and FHIR JSON files of ../shared/corpus
// (relative to the module root) as input records, or nil when it is absent.
func corpusRecords(t testing.TB, max int) []kafka.Message {
	dir := filepath.Join(repoRoot(t), "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	var out []kafka.Message
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || len(out) >= max {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil || len(data) == 0 || len(data) > 4<<20 {
			return nil
		}
		switch filepath.Ext(path) {
		case ".hl7":
			out = append(out, kafka.Message{Topic: tHL7, Value: data})
		case ".json":
			out = append(out, kafka.Message{Topic: tFHIR, Value: data})
		}
		return nil
	})
	return out
}

// TestNoPHIOutsideVault runs synthetic traffic with planted identifiers,
// the shared corpus (if present) and poison records through the pipeline
// with debug logging, and looks for every input identifier in the logs,
// /metrics, DLQ notices, output-topic messages, object names, the raw bytes
// of every vault and analytics file (plaintext) and the Parquet cells.
func TestNoPHIOutsideVault(t *testing.T) {
	const parts = 2
	c := bigBroker(t, parts, 0, "")
	defer c.Close()
	brokers := c.ListenAddrs()
	n := 1500
	if long() {
		n = 15000
	}
	tr := synthTraffic(31, n, 0.25)
	phi := append(append([]string(nil), tr.phi...), planted...)
	// Plant distinctive values into valid messages in place of the patient's own.
	g := synth.New(31, synth.Options{Patients: 80, PHIDensity: 1})
	var msgs []kafka.Message
	for i := range 40 {
		m := g.HL7()
		pt := g.Patient(g.LastPatient())
		for _, r := range [][2]string{{pt.Family, "Quenchwood"}, {pt.Given, "Zorblatt"}, {pt.MRN, planted[1]}, {pt.SSN, planted[2]}} {
			if len(r[0]) >= 3 {
				m = bytes.ReplaceAll(m, []byte(r[0]), []byte(r[1]))
			}
		}
		if i == 0 && !bytes.Contains(m, []byte("Quenchwood")) {
			t.Fatal("planting failed: the synthetic message does not carry the planted name")
		}
		msgs = append(msgs, kafka.Message{Topic: tHL7, Value: m})
	}
	phi = append(phi, "Quenchwood", "Zorblatt")
	msgs = append(msgs, tr.msgs...)
	corpus := corpusRecords(t, 400)
	if corpus == nil {
		t.Log("../shared/corpus absent: synthetic traffic only")
	}
	msgs = append(msgs, corpus...)
	msgs = append(msgs, poisonRecords(rand.New(rand.NewSource(31)), tr.msgs[0].Value)...)

	e := newInproc(t, brokers, "phi")
	p, stop, _ := e.run(t)
	w := newWriter(brokers)
	defer w.Close()
	produce(t, w, msgs)
	waitFor(t, 3*time.Minute, "all committed", func() bool {
		m, err := committed(t, brokers, "phi", []string{tHL7, tFHIR}, parts)
		return err == nil && sumOffsets(m) == int64(len(msgs))
	}, e.logs)
	var metrics strings.Builder
	p.Metrics().WritePrometheus(&metrics)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	check := func(what, text string) {
		t.Helper()
		if l := leaks(text, phi); len(l) > 0 {
			t.Errorf("%s contains %d identifier values from the input (e.g. one of length %d)", what, len(l), len(l[0]))
		}
	}
	check("debug logs", e.logs.String())
	check("/metrics", metrics.String())
	var notices strings.Builder
	for _, m := range readTopic(t, brokers, tDLQ, parts) {
		notices.Write(m.Value)
		notices.WriteByte('\n')
	}
	check("DLQ notices", notices.String())
	var outs strings.Builder
	nOut := 0
	for _, topic := range []string{tHL7o, tFHIRo} {
		for _, m := range readTopic(t, brokers, topic, parts) {
			outs.Write(m.Key)
			outs.Write(m.Value)
			for _, h := range m.Headers {
				outs.WriteString(h.Key + string(h.Value))
			}
			nOut++
		}
	}
	// Only planted values here: the de-identified output legitimately keeps
	// some non-identifying text that may collide with short pool values.
	if l := leaks(outs.String(), planted); len(l) > 0 {
		t.Errorf("output topics contain %d planted identifiers", len(l))
	}
	// Object names and raw file bytes (the local store keeps object metadata in the file).
	var files, vaultFiles int
	for _, root := range []string{e.vaultDir, e.anaDir} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			check("object name "+filepath.Base(path), path)
			if d.IsDir() {
				return nil
			}
			files++
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if root == e.vaultDir {
				vaultFiles++
				if l := leaks(string(data), phi); len(l) > 0 {
					t.Errorf("vault file %s holds %d identifier values in plaintext", path, len(l))
				}
			} else if l := leaks(string(data), planted); len(l) > 0 {
				t.Errorf("analytics file %s holds %d planted identifiers", path, len(l))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, cells, pqFiles := parquetRows(t, e.anaDir)
	if l := leaks(strings.Join(cells, "\n"), planted); len(l) > 0 {
		t.Errorf("Parquet cells contain %d planted identifiers", len(l))
	}
	var nrows int
	for _, c := range rows {
		nrows += c
	}
	good, _ := vaultOffsets(t, e.v, e.vst, false)
	bad, _ := vaultOffsets(t, e.v, e.vst, true)
	t.Logf("RESULT phi: records=%d (synthetic %d, planted %d, corpus %d, poison %d) identifiers_checked=%d vault=%d dlq=%d outputs=%d files=%d (vault %d, parquet %d) rows=%d leaks=0",
		len(msgs), len(tr.msgs), 40, len(corpus), len(msgs)-len(tr.msgs)-40-len(corpus), len(phi), len(good), len(bad), nOut, files, vaultFiles, pqFiles, nrows)
}
