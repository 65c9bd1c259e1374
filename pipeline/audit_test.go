package pipeline

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

type fakeAuditor struct {
	mu   sync.Mutex
	segs map[string]int // segment name -> times audited
	recs int
	fail atomic.Bool
}

func (f *fakeAuditor) AuditVaultWrites(_ context.Context, segs []vault.FlushResult) error {
	if f.fail.Load() {
		return errors.New("audit trail unavailable")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range segs {
		f.segs[s.Segment]++
		f.recs += s.Records
	}
	return nil
}

func (e *env) segmentObjects() map[string]bool {
	out := map[string]bool{}
	for _, p := range []string{"segments/", "dlq/"} {
		if err := e.vstore.List(context.Background(), p, func(in store.Info) error {
			out[in.Name] = true
			return nil
		}); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// Every vault segment the pipeline writes (originals and DLQ) is audited
// before its offsets are committed; while the audit trail fails nothing is
// committed, and once it recovers every segment is audited.
func TestVaultWritesAudited(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	hl7s, fhirs, _ := synthTraffic(5, 300, 60)
	in := append([][]byte{}, hl7s...)
	in = append(in, []byte("not HL7 at all"), []byte("MSH"))
	e.produce(tHL7, in)
	e.produce(tFHIR, fhirs)
	a := &fakeAuditor{segs: map[string]int{}}
	a.fail.Store(true)
	cfg := e.config()
	cfg.Auditor = a
	cfg.VaultWriter = vault.WriterConfig{MaxRecords: 50}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	total := int64(len(in) + len(fhirs))
	waitFor(t, 30*time.Second, "segments stored", func() bool { return len(e.segmentObjects()) > 2 })
	time.Sleep(time.Second) // several checkpoint intervals with a failing trail
	if c := sumCommitted(e.groupOffsets(tHL7, parts)) + sumCommitted(e.groupOffsets(tFHIR, parts)); c > 0 {
		t.Fatalf("%d offsets committed while the audit trail failed", c)
	}
	a.fail.Store(false)
	waitFor(t, 60*time.Second, "all offsets committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts))+sumCommitted(e.groupOffsets(tFHIR, parts)) == total
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	objs := e.segmentObjects()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(objs) != len(a.segs) {
		t.Fatalf("%d segment objects in the vault, %d audited", len(objs), len(a.segs))
	}
	for name := range objs {
		if a.segs[name] == 0 {
			t.Fatalf("segment %s not audited", name)
		}
	}
	n, _ := e.vaultCount(false)
	d, _ := e.vaultCount(true)
	if d == 0 || a.recs < n+d {
		t.Fatalf("audited %d records, vault holds %d + %d DLQ", a.recs, n, d)
	}
}
