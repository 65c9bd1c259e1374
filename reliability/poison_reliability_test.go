package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/safeharbor/safeharbor/pipeline"
)

// planted identifiers: distinctive values that must never leave the vault.
var planted = []string{"Zorblatt Quenchwood", "MRN-PLANT-773311", "999-13-7731", "plant.leak@example.invalid", "Xylophant"}

// poisonRecords returns one record of each poison kind (topic, value, kind).
func poisonRecords(rng *rand.Rand, validHL7 []byte) []kafka.Message {
	junk := make([]byte, 4096)
	rng.Read(junk)
	junk[0] = 0x00 // never looks like HL7 or JSON
	huge := bytes.Repeat([]byte("Z"+planted[4]+" "), 5<<20/10)
	deep := `{"resourceType":"Patient","name":[{"family":"` + planted[0] + `"}],"extension":` +
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	deepObj := strings.Repeat(`{"a":`, 10000) + `"` + planted[1] + `"` + strings.Repeat("}", 10000)
	return []kafka.Message{
		{Topic: tHL7, Value: []byte("Hello, this is not HL7 at all: patient " + planted[0] + " " + planted[1])},
		{Topic: tHL7, Value: validHL7[:min(len(validHL7), 6)]}, // truncated ER7 inside MSH-2: "MSH|^~"
		{Topic: tHL7, Value: junk},
		{Topic: tHL7, Value: huge},
		{Topic: tFHIR, Value: []byte(`{"resourceType":"Patient","name":[{"family":"` + planted[0] + `"`)},
		{Topic: tFHIR, Value: []byte(deep)},
		{Topic: tFHIR, Value: []byte(deepObj)},
		{Topic: tFHIR, Value: []byte(`{"id":"p1","name":[{"family":"` + planted[0] + `"}],"telecom":[{"value":"` + planted[3] + `"}]}`)},
	}
}

// bigBroker starts an in-process broker that accepts records up to 16 MB.
func bigBroker(t testing.TB, parts int32, port int, dataDir string) *kfake.Cluster {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(parts, allTopics...),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(16 << 20)})}
	if port > 0 {
		opts = append(opts, kfake.Ports(port))
	}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPoisonInput mixes about 1% poison records (non-HL7 text, truncated ER7,
// binary junk, a 5 MB record, invalid JSON, JSON nested 10,000 deep, FHIR
// without resourceType) into valid traffic: every poison record ends in the
// vault DLQ with a notice on the DLQ topic, every valid one in the vault and
// datasets, and the pipeline stays up: no fetch error on the Kafka input
// (issue 24: kafka-go gave the broker 50 ms past the fetch wait, so a busy
// box turned fetches into read timeouts and /readyz into "not ready"), and
// ready on the idle pipeline afterwards. Recovery after a real transient
// fetch error is pipeline.TestInputRecoversAfterTransientError.
func TestPoisonInput(t *testing.T) {
	const parts = 2
	c := bigBroker(t, parts, 0, "")
	defer c.Close()
	brokers := c.ListenAddrs()
	nValid := 1600
	if long() {
		nValid = 16000
	}
	tr := synthTraffic(11, nValid, 0.2)
	rng := rand.New(rand.NewSource(11))
	var msgs []kafka.Message
	nPoison := 0
	kinds := 0
	for i, m := range tr.msgs {
		msgs = append(msgs, m)
		if i%100 == 50 { // 1%
			ps := poisonRecords(rng, tr.msgs[0].Value)
			kinds = len(ps)
			msgs = append(msgs, ps[nPoison%len(ps)])
			nPoison++
		}
	}
	if nPoison < kinds {
		t.Fatalf("only %d poison records for %d kinds", nPoison, kinds)
	}
	e := newInproc(t, brokers, "poison")
	p, stop, exited := e.run(t)
	w := newWriter(brokers)
	defer w.Close()
	produce(t, w, msgs)
	total := int64(len(msgs))
	waitFor(t, 3*time.Minute, "all offsets committed", func() bool {
		if exited() {
			t.Fatalf("pipeline stopped on its own")
		}
		m, err := committed(t, brokers, "poison", []string{tHL7, tFHIR}, parts)
		return err == nil && sumOffsets(m) == total
	}, e.logs)
	// Poison records are consumed like any other: no fetch error (a failing
	// input would make /readyz say not ready although nothing is wrong).
	if n := inputErrors(p); n != 0 {
		t.Fatalf("the Kafka input was marked failing %d times during the poison traffic; failing now: %v", n, p.FailingSinks())
	}
	// Ready now, and on the idle pipeline for longer than the input's
	// quiet window (3 s) plus its check tick: an idle fetch that failed
	// would show here.
	idleUntil := time.Now().Add(3*time.Second + 500*time.Millisecond)
	for time.Now().Before(idleUntil) {
		if !p.Ready() {
			t.Fatalf("pipeline not ready after the poison: failing sinks %v", p.FailingSinks())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var metrics strings.Builder
	p.Metrics().WritePrometheus(&metrics)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	good, _ := vaultOffsets(t, e.v, e.vst, false)
	bad, _ := vaultOffsets(t, e.v, e.vst, true)
	if len(good) != len(tr.msgs) || len(bad) != nPoison {
		t.Fatalf("vault: %d valid and %d DLQ records, want %d and %d; failures by class: %s",
			len(good), len(bad), len(tr.msgs), nPoison, grepLines(metrics.String(), "failed"))
	}
	notices := readTopic(t, brokers, tDLQ, parts)
	if len(notices) != nPoison {
		t.Fatalf("DLQ topic has %d notices, want %d", len(notices), nPoison)
	}
	classes := map[string]int{}
	for _, n := range notices {
		var dn pipeline.DLQNotice
		if err := json.Unmarshal(n.Value, &dn); err != nil {
			t.Fatalf("DLQ notice is not JSON: %v", err)
		}
		key := fmt.Sprintf("%s/%d/%d", dn.Topic, dn.Partition, dn.Offset)
		if bad[key] != 1 {
			t.Fatalf("DLQ notice for %s has no vault DLQ record", key)
		}
		classes[dn.Class]++
	}
	rows, _, _ := parquetRows(t, e.anaDir)
	var nrows int
	for key, c := range rows {
		if bad[key] > 0 {
			t.Fatalf("dataset rows for poison record %s", key)
		}
		nrows += c
	}
	if nrows == 0 {
		t.Fatal("no dataset rows")
	}
	var all strings.Builder
	for _, n := range notices {
		all.Write(n.Value)
	}
	all.WriteString(e.logs.String())
	all.WriteString(metrics.String())
	if l := leaks(all.String(), append(planted, tr.phi...)); len(l) > 0 {
		t.Fatalf("DLQ notices, logs or metrics contain %d identifier values", len(l))
	}
	t.Logf("RESULT poison: valid=%d poison=%d (kinds %d) vault=%d dlq_vault=%d dlq_notices=%d classes=%v rows=%d",
		len(tr.msgs), nPoison, kinds, len(good), len(bad), len(notices), classes, nrows)
}

// inputErrors is the number of times a Kafka partition input was marked failing.
func inputErrors(p *pipeline.Pipeline) int64 {
	var n int64
	for _, s := range p.Metrics().SinkErrors.Names() {
		if strings.HasPrefix(s, "kafka-input ") {
			n += p.Metrics().SinkErrors.Value(s)
		}
	}
	return n
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}
