package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
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

// TestPoisonRecordsDLQ: malformed records go to the vault DLQ and a PHI-free
// notice goes to the DLQ topic; the records around them are processed.
func TestPoisonRecordsDLQ(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	hl7s, fhirs, phi := synthTraffic(2, 200, 40)
	poison := [][]byte{
		[]byte("PID|1||" + phi[0] + "|not an HL7 message"), // unknown format on the HL7 topic
		[]byte("MSH"), // truncated MSH
		{},            // empty
	}
	var in [][]byte
	for i, m := range hl7s {
		in = append(in, m)
		if i%70 == 0 {
			in = append(in, poison[(i/70)%len(poison)])
		}
	}
	badFHIR := []byte(`{"resourceType":"Patient","name":[{"family":"` + phi[0] + `"`)
	e.produce(tHL7, in)
	e.produce(tFHIR, append(fhirs, badFHIR))
	p, err := New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	total := int64(len(in) + len(fhirs) + 1)
	waitFor(t, 60*time.Second, "all offsets committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts))+sumCommitted(e.groupOffsets(tFHIR, parts)) == total
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	nBad := len(in) - len(hl7s) + 1
	dlq, _ := e.vaultCount(true)
	good, _ := e.vaultCount(false)
	if dlq != nBad || good != len(hl7s)+len(fhirs) {
		t.Fatalf("vault: %d good and %d DLQ records, want %d and %d", good, dlq, len(hl7s)+len(fhirs), nBad)
	}
	if got := p.Metrics().DLQ.Sum(); got != int64(nBad) {
		t.Fatalf("DLQ metric %d, want %d", got, nBad)
	}
	// The DLQ topic holds one notice per bad record, without content.
	notices := readAll(t, e, tDLQ)
	if len(notices) != nBad {
		t.Fatalf("DLQ topic has %d notices, want %d", len(notices), nBad)
	}
	var metrics strings.Builder
	p.Metrics().WritePrometheus(&metrics)
	all := strings.Join(notices, "\n") + e.logBuf.String() + metrics.String()
	for _, v := range phi {
		if len(v) >= 4 && strings.Contains(all, v) {
			t.Fatalf("DLQ notices, logs or metrics contain an identifier from the input")
		}
	}
	for _, c := range []string{ClassHL7Parse, ClassEmpty, ClassFHIRParse} {
		if !strings.Contains(all, `"class":"`+c+`"`) {
			t.Fatalf("no DLQ notice of class %s", c)
		}
	}
}

// readAll reads every message of every partition of topic.
func readAll(t *testing.T, e *env, topic string) []string {
	t.Helper()
	conn, err := kafka.Dial("tcp", e.broker.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	ps, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		c, err := kafka.DialLeader(context.Background(), "tcp", e.broker.Addrs()[0], topic, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		last, err := c.ReadLastOffset()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.broker.Addrs(), Topic: topic, Partition: p.ID, MaxWait: 200 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				t.Fatalf("read %s: %v", topic, err)
			}
			out = append(out, string(m.Value))
			if m.Offset+1 >= last {
				break
			}
		}
		cancel()
		r.Close()
	}
	return out
}

// TestSecondMemberTakesOver: a second process in the group takes over
// partitions; every record is processed and committed exactly once in the
// group's offsets, nothing is lost.
func TestSecondMemberTakesOver(t *testing.T) {
	const parts = 4
	e := newEnv(t, parts, nil, nil)
	hl7s, _, _ := synthTraffic(3, 800, 0)
	e.produce(tHL7, hl7s[:400])
	cfg := e.config()
	cfg.FHIRTopic, cfg.OutputFHIRTopic = "", ""
	p1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop1 := runPipeline(t, p1)
	waitFor(t, 60*time.Second, "first batch committed", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == 400 })
	cfg2 := cfg
	cfg2.Metrics = nil
	p2, err := New(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	stop2 := runPipeline(t, p2)
	waitFor(t, 60*time.Second, "partitions shared by both members", func() bool {
		return p2.Assigned() > 0 && p1.Assigned()+p2.Assigned() == parts
	})
	e.produce(tHL7, hl7s[400:])
	waitFor(t, 90*time.Second, "all committed", func() bool { return sumCommitted(e.groupOffsets(tHL7, parts)) == int64(len(hl7s)) })
	waitFor(t, 30*time.Second, "second member got records", func() bool { return p2.Metrics().RecordsIn.Sum() > 0 })
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if err := stop1(); err != nil {
		t.Fatal(err)
	}
	n, offs := e.vaultCount(false)
	if len(offs) != len(hl7s) {
		t.Fatalf("vault holds %d distinct offsets (%d records), want %d", len(offs), n, len(hl7s))
	}
	t.Logf("member 1 processed %d, member 2 processed %d; vault records %d (duplicates from the hand-over: %d)",
		p1.Metrics().RecordsOut.Sum(), p2.Metrics().RecordsOut.Sum(), n, n-len(offs))
}
