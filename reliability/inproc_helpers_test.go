package reliability

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/pipeline"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// inproc is a pipeline running in the test process over local sinks.
type inproc struct {
	dir              string
	vaultDir, anaDir string
	vst, ast         store.Store
	v                *vault.Vault
	logs             *lockedBuf
	cfg              pipeline.Config
}

func newInproc(t testing.TB, brokers []string, group string) *inproc {
	t.Helper()
	e := &inproc{dir: t.TempDir(), logs: &lockedBuf{}}
	e.vaultDir, e.anaDir = filepath.Join(e.dir, "vault"), filepath.Join(e.dir, "analytics")
	var err error
	if e.vst, err = store.NewLocal(e.vaultDir); err != nil {
		t.Fatal(err)
	}
	if e.ast, err = store.NewLocal(e.anaDir); err != nil {
		t.Fatal(err)
	}
	k := newKeys(t, e.dir)
	e.v = k.openVault(t, e.vst)
	set, err := rules.Load(filepath.Join(repoRoot(t), "examples", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := deid.New(deid.Config{Key: randBytes(t, 32), RulesVersion: set.Version()})
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = pipeline.Config{
		Brokers: brokers, GroupID: group,
		HL7Topic: tHL7, FHIRTopic: tFHIR, OutputHL7Topic: tHL7o, OutputFHIRTopic: tFHIRo, DLQTopic: tDLQ,
		Deid: eng, Rules: pipeline.FromRuleSet(set), Vault: e.v, Analytics: e.ast,
		Workers: 2, CheckpointInterval: 300 * time.Millisecond, MaxWait: 200 * time.Millisecond,
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second, HeartbeatInterval: 300 * time.Millisecond,
		ShutdownTimeout: 20 * time.Second,
		Logger:          slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return e
}

// run starts the pipeline; stop cancels it and returns Run's error.
// exited reports whether Run returned on its own.
func (e *inproc) run(t testing.TB) (p *pipeline.Pipeline, stop func() error, exited func() bool) {
	t.Helper()
	p, err := pipeline.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() { errc <- p.Run(ctx); close(done) }()
	var once sync.Once
	var rerr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case rerr = <-errc:
			case <-time.After(60 * time.Second):
				rerr = errors.New("pipeline did not stop within 60s")
			}
		})
		return rerr
	}
	exited = func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	t.Cleanup(func() { _ = stop() })
	return p, stop, exited
}

// readTopic reads every message of every partition of topic (bounded).
func readTopic(t testing.TB, brokers []string, topic string, parts int) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	for p := range parts {
		c, err := kafka.DialLeader(context.Background(), "tcp", brokers[0], topic, p)
		if err != nil {
			t.Fatal(err)
		}
		first, last, err := c.ReadOffsets()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if last <= first {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 200 * time.Millisecond, MaxBytes: 32 << 20})
		if err := r.SetOffset(first); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				cancel()
				r.Close()
				t.Fatalf("read %s/%d: %v", topic, p, err)
			}
			out = append(out, m)
			if m.Offset+1 >= last {
				break
			}
		}
		cancel()
		r.Close()
	}
	return out
}
