package reliability

import (
	"testing"
	"time"
)

// TestBrokerLoss: the broker (kfake with a data directory) stops while the
// pipeline runs and comes back on the same port; the consumer reconnects and
// every record produced before and after the outage is stored exactly once.
// MLLP's AE-while-the-broker-is-down behaviour is tested in
// pipeline/ingest (TestBrokerDownAEThenRetry).
func TestBrokerLoss(t *testing.T) {
	const parts = 2
	port, dataDir := freePort(t), t.TempDir()
	outages := 1
	if long() {
		outages = 5
	}
	c := bigBroker(t, parts, port, dataDir)
	defer func() { c.Close() }()
	brokers := c.ListenAddrs()
	per := 400
	tr := synthTraffic(21, per*(outages+1), 0.2)
	e := newInproc(t, brokers, "brokerloss")
	p, stop, exited := e.run(t)
	progress := func() int64 {
		m, err := committed(t, brokers, "brokerloss", []string{tHL7, tFHIR}, parts)
		if err != nil {
			return -1
		}
		return sumOffsets(m)
	}
	var notReady int
	for i := 0; i <= outages; i++ {
		w := newWriter(brokers)
		produce(t, w, tr.msgs[i*per:(i+1)*per])
		w.Close()
		want := int64((i + 1) * per)
		waitFor(t, 2*time.Minute, "records committed", func() bool {
			if exited() {
				t.Fatal("pipeline stopped on its own")
			}
			return progress() == want
		}, e.logs)
		if i == outages {
			break
		}
		c.Close()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && p.Ready() {
			time.Sleep(100 * time.Millisecond)
		}
		if !p.Ready() {
			notReady++
		}
		time.Sleep(2 * time.Second)
		c = bigBroker(t, parts, port, dataDir)
		if got := c.ListenAddrs()[0]; got != brokers[0] {
			t.Fatalf("broker came back on %s, not %s", got, brokers[0])
		}
	}
	waitFor(t, time.Minute, "ready after the outages", p.Ready, e.logs)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	offs, _ := vaultOffsets(t, e.v, e.vst, false)
	dlq, _ := vaultOffsets(t, e.v, e.vst, true)
	dup := 0
	for _, n := range offs {
		if n > 1 {
			dup++
		}
	}
	if len(offs) != len(tr.msgs) || dup != 0 || len(dlq) != 0 {
		t.Fatalf("vault: %d distinct offsets (%d duplicated), %d DLQ; want %d, 0, 0", len(offs), dup, len(dlq), len(tr.msgs))
	}
	if notReady != outages {
		t.Fatalf("/readyz reported not ready in %d of %d broker outages", notReady, outages)
	}
	t.Logf("RESULT brokerloss: outages=%d records=%d vault_offsets=%d lost=0 duplicates=%d not_ready_during_outage=%d/%d",
		outages, len(tr.msgs), len(offs), dup, notReady, outages)
}
