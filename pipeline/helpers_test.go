package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/internal/synth"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/dataset"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

func TestMain(m *testing.M) { os.Exit(miniotest.Main(m)) }

const (
	tHL7  = "hl7-in"
	tFHIR = "fhir-in"
	tDLQ  = "dlq"
	tOutH = "hl7-deid"
	tOutF = "fhir-deid"
)

// testRules emits one row per message into dataset "messages" (type, pseudonym, format).
type testRules struct{}

func (testRules) Version() string { return "test-1" }
func (testRules) Datasets() []Dataset {
	return []Dataset{{Name: "messages", Schema: dataset.Schema{Columns: []dataset.Column{
		{Name: "type", Type: dataset.String}, {Name: "pseudonym", Type: dataset.String, Nullable: true},
		{Name: "format", Type: dataset.String},
	}}}}
}
func (testRules) NewEvaluator() Evaluator { return testEval{} }

type testEval struct{}

func (testEval) HL7(_ *hl7.Message, res deid.Result, out *rules.Rows) error {
	out.Add(0, rules.StringValue(res.Type), rules.StringValue(res.Pseudonym), rules.StringValue("hl7v2"))
	return nil
}
func (testEval) FHIR(_ *fhir.Value, res deid.Result, out *rules.Rows) error {
	out.Add(0, rules.StringValue(res.Type), rules.StringValue(res.Pseudonym), rules.StringValue("fhir"))
	return nil
}

func randKey(t testing.TB, n int) []byte {
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// env is one embedded broker plus sinks.
type env struct {
	t        testing.TB
	broker   *EmbeddedBroker
	eng      *deid.Engine
	vault    *vault.Vault
	vstore   store.Store
	astore   store.Store
	group    string
	logBuf   *syncBuffer
	logger   *slog.Logger
	produced int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t testing.TB, partitions int32, vstore, astore store.Store) *env {
	t.Helper()
	b, err := StartEmbeddedBroker(0, partitions, tHL7, tFHIR, tDLQ, tOutH, tOutF)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	eng, err := deid.New(deid.Config{Key: randKey(t, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if vstore == nil {
		l, err := store.NewLocal(t.TempDir() + "/vault")
		if err != nil {
			t.Fatal(err)
		}
		vstore = l
	}
	if astore == nil {
		l, err := store.NewLocal(t.TempDir() + "/analytics")
		if err != nil {
			t.Fatal(err)
		}
		astore = l
	}
	kr, err := vault.NewKeyring([]string{"k1"}, [][]byte{randKey(t, 32)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(vault.Config{Store: vstore, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	buf := &syncBuffer{}
	return &env{t: t, broker: b, eng: eng, vault: v, vstore: vstore, astore: astore, group: "g1",
		logBuf: buf, logger: slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

func (e *env) config() Config {
	return Config{
		Brokers: e.broker.Addrs(), GroupID: e.group,
		HL7Topic: tHL7, FHIRTopic: tFHIR, DLQTopic: tDLQ, OutputHL7Topic: tOutH, OutputFHIRTopic: tOutF,
		Deid: e.eng, Rules: testRules{}, Vault: e.vault, Analytics: e.astore,
		CheckpointInterval: 300 * time.Millisecond, MaxWait: 200 * time.Millisecond,
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second, HeartbeatInterval: 300 * time.Millisecond,
		ShutdownTimeout: 20 * time.Second,
		Logger:          e.logger,
	}
}

// produce writes msgs to topic.
func (e *env) produce(topic string, msgs [][]byte) {
	e.t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(e.broker.Addrs()...), Balancer: &kafka.RoundRobin{},
		BatchSize: 1000, BatchTimeout: 2 * time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	for len(msgs) > 0 {
		n := min(1000, len(msgs))
		batch := make([]kafka.Message, n)
		for i := range batch {
			batch[i] = kafka.Message{Topic: topic, Value: msgs[i]}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := w.WriteMessages(ctx, batch...)
		cancel()
		if err != nil {
			e.t.Fatalf("produce: %v", err)
		}
		msgs = msgs[n:]
		e.produced += n
	}
}

// synthTraffic returns nHL7 HL7v2 messages, nFHIR FHIR resources and the PHI values they carry.
func synthTraffic(seed int64, nHL7, nFHIR int) (hl7s, fhirs [][]byte, phi []string) {
	g := synth.New(seed, synth.Options{Patients: 50, PHIDensity: 1})
	seen := map[int]bool{}
	note := func() {
		if i := g.LastPatient(); i >= 0 && !seen[i] {
			seen[i] = true
			phi = append(phi, g.Patient(i).PHIValues()...)
		}
	}
	for range nHL7 {
		hl7s = append(hl7s, g.HL7())
		note()
	}
	kinds := []string{"Patient", "Encounter", "Observation", "Condition"}
	for i := range nFHIR {
		fhirs = append(fhirs, g.FHIRResource(kinds[i%len(kinds)]))
		note()
	}
	return
}

// groupOffsets returns the committed offsets of the group for topic.
func (e *env) groupOffsets(topic string, partitions int) map[int]int64 {
	e.t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(e.broker.Addrs()...), Timeout: 10 * time.Second}
	ps := make([]int, partitions)
	for i := range ps {
		ps[i] = i
	}
	resp, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: e.group, Topics: map[string][]int{topic: ps}})
	if err != nil {
		e.t.Fatalf("offset fetch: %v", err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

func sumCommitted(m map[int]int64) int64 {
	var s int64
	for _, v := range m {
		if v > 0 {
			s += v
		}
	}
	return s
}

// vaultCount counts the records in vault segments (dlq=false) or DLQ segments.
func (e *env) vaultCount(dlq bool) (n int, offsets map[string]int) {
	e.t.Helper()
	ctx := context.Background()
	prefix := "segments/"
	if dlq {
		prefix = "dlq/"
	}
	offsets = map[string]int{}
	err := e.vstore.List(ctx, prefix, func(info store.Info) error {
		refs, err := e.vault.Refs(ctx, info.Name)
		if err != nil {
			return err
		}
		for _, r := range refs {
			offsets[r.Source+"/"+itoa(int(r.Partition))+"/"+itoa(int(r.Offset))]++
		}
		n += len(refs)
		return nil
	})
	if err != nil {
		e.t.Fatalf("vault list: %v", err)
	}
	return
}

func itoa(i int) string { return strconv.Itoa(i) }

// datasetRows counts the rows in every Parquet file of a dataset.
func (e *env) datasetRows(name string) int64 {
	e.t.Helper()
	ctx := context.Background()
	var n int64
	err := e.astore.List(ctx, "dataset="+name+"/", func(info store.Info) error {
		data, err := e.astore.Get(ctx, info.Name)
		if err != nil {
			return err
		}
		r, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			return err
		}
		n += r.NumRows()
		return r.Close()
	})
	if err != nil {
		e.t.Fatalf("dataset list: %v", err)
	}
	return n
}

// runPipeline starts p in the background; stop cancels it and returns Run's error.
func runPipeline(t testing.TB, p *Pipeline) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(60 * time.Second):
				err = errors.New("pipeline did not stop within 60s")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitFor polls cond every 100ms until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
