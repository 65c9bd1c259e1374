package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// useBigBroker replaces e's broker with one that accepts records up to 16 MB.
func (e *env) useBigBroker(partitions int32) *kfake.Cluster {
	e.t.Helper()
	e.broker.Close()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, tHL7, tFHIR, tDLQ, tOutH, tOutF),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(16 << 20)}))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	e.broker = &EmbeddedBroker{c: c}
	return c
}

// produceBig writes records of any size up to 16 MB to topic.
func (e *env) produceBig(topic string, msgs [][]byte) {
	e.t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(e.broker.Addrs()...), Balancer: &kafka.RoundRobin{},
		BatchSize: 100, BatchTimeout: 2 * time.Millisecond, BatchBytes: 16 << 20, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	batch := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		batch[i] = kafka.Message{Topic: topic, Value: m}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.WriteMessages(ctx, batch...); err != nil {
		e.t.Fatalf("produce: %v", err)
	}
	e.produced += len(msgs)
}

// hl7OfSize returns the valid HL7v2 message base grown to exactly n bytes
// by appending OBX segments of free text.
func hl7OfSize(t testing.TB, base []byte, n int) []byte {
	t.Helper()
	words := []string{"patient ", "stable ", "vitals ", "reviewed ", "plan ", "continue ", "follow-up ", "in ", "two ", "weeks. "}
	out := append([]byte(nil), base...)
	const seg = 32 << 10 // bytes per OBX segment, CR included
	for k := 1; len(out) < n; k++ {
		head := fmt.Sprintf("OBX|%d|TX|NOTE^Note||", k)
		rest := n - len(out)
		l := min(rest, seg)
		if rest-l > 0 && rest-l < 64 {
			l = rest - 64 // leave room for one more whole segment
		}
		room := l - len(head) - 1
		if room < 1 {
			t.Fatalf("cannot grow a %d-byte message to exactly %d bytes", len(base), n)
		}
		out = append(out, head...)
		for i := 0; room > 0; i++ {
			w := words[i%len(words)]
			if len(w) > room {
				w = strings.Repeat("x", room)
			}
			out = append(out, w...)
			room -= len(w)
		}
		out = append(out, '\r')
	}
	if len(out) != n {
		t.Fatalf("built %d bytes, want %d", len(out), n)
	}
	return out
}

// stallFetches makes the broker's request loop stall for d at most once
// every period while it handles fetches, as a broker (or the box it runs
// on) that is briefly busy does; every answer due meanwhile arrives late.
// It returns how many stalls happened.
func stallFetches(c *kfake.Cluster, d, period time.Duration) func() int {
	var mu sync.Mutex
	var last time.Time
	n := 0
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		stall := time.Since(last) >= period
		if stall {
			n++
		}
		mu.Unlock()
		if stall {
			time.Sleep(d) // blocks the whole cluster, not only this fetch
			mu.Lock()
			last = time.Now()
			mu.Unlock()
		}
		return nil, nil, false // then handled as usual
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// inputErrors is the number of times a partition input was marked failing.
func inputErrors(p *Pipeline) int64 {
	var n int64
	for _, s := range p.Metrics().SinkErrors.Names() {
		if strings.HasPrefix(s, "kafka-input ") {
			n += p.Metrics().SinkErrors.Value(s)
		}
	}
	return n
}

// watchReady polls Ready every 20 ms until stop is closed and returns how
// many polls saw the pipeline not ready.
func watchReady(p *Pipeline, stop <-chan struct{}) (notReady func() int) {
	var mu sync.Mutex
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if !p.Ready() {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		}
	}()
	return func() int {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// TestInputSlowBrokerLargeRecords: while the broker keeps stalling for
// 300 ms (its answers to waiting fetches come that late), records from a
// few bytes up to exactly MaxRecordSize are consumed, the input is never
// marked failing and the pipeline never reports not ready; a record one byte over
// the limit goes to the DLQ as too_large with a notice that names its size
// and no content. Before fetchGrace, kafka-go gave the broker 50 ms beyond
// the 200 ms fetch wait: late answers were read timeouts, and readiness
// showed the input failing on an idle, healthy pipeline.
func TestInputSlowBrokerLargeRecords(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	c := e.useBigBroker(parts)
	cfg := e.config()
	cfg.MaxRecordSize = 2 << 20
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	waitFor(t, 30*time.Second, "pipeline ready", p.Ready)

	stalls := stallFetches(c, 300*time.Millisecond, 700*time.Millisecond)
	pollStop := make(chan struct{})
	notReady := watchReady(p, pollStop)
	hl7s, _, phi := synthTraffic(7, 40, 0)
	var in [][]byte
	for i, m := range hl7s {
		in = append(in, m)
		switch i {
		case 5:
			in = append(in, hl7OfSize(t, m, 64<<10))
		case 15:
			in = append(in, hl7OfSize(t, m, 1<<20))
		case 25:
			in = append(in, hl7OfSize(t, m, cfg.MaxRecordSize)) // at the limit: valid
		case 35:
			in = append(in, hl7OfSize(t, m, cfg.MaxRecordSize+1)) // over it
		}
	}
	e.produceBig(tHL7, in)
	waitFor(t, 90*time.Second, "all offsets committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts)) == int64(len(in))
	})
	// idle a while longer, still stalling: idle fetches are the ones that wait
	time.Sleep(inputQuiet + inputWatchTick)
	close(pollStop)
	nr, ns := notReady(), stalls()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ns < 3 {
		t.Fatalf("the broker stalled only %d times", ns)
	}
	if n := inputErrors(p); n != 0 {
		t.Fatalf("the input was marked failing %d times while the broker was only slow", n)
	}
	if nr != 0 {
		t.Fatalf("not ready at %d polls while the broker was only slow", nr)
	}
	good, _ := e.vaultCount(false)
	dlq, _ := e.vaultCount(true)
	if good != len(in)-1 || dlq != 1 {
		t.Fatalf("vault: %d records and %d DLQ records, want %d and 1", good, dlq, len(in)-1)
	}
	notices := readAll(t, e, tDLQ)
	if len(notices) != 1 {
		t.Fatalf("DLQ topic has %d notices, want 1", len(notices))
	}
	var dn DLQNotice
	if err := json.Unmarshal([]byte(notices[0]), &dn); err != nil {
		t.Fatalf("DLQ notice is not JSON: %v", err)
	}
	if dn.Class != ClassTooLarge || dn.Size != cfg.MaxRecordSize+1 {
		t.Fatalf("DLQ notice class %q size %d, want %q %d", dn.Class, dn.Size, ClassTooLarge, cfg.MaxRecordSize+1)
	}
	all := notices[0] + e.logBuf.String() + metricsText(p)
	for _, v := range phi {
		if len(v) >= 4 && strings.Contains(all, v) {
			t.Fatal("DLQ notice, logs or metrics contain an identifier from the input")
		}
	}
	t.Logf("records=%d (largest %d bytes) stalls=%d input_errors=0 not_ready_polls=0", len(in), cfg.MaxRecordSize+1, ns)
}

// TestInputRecoversAfterTransientError: the broker drops every fetch
// connection for a moment; the input is reported failing, ready again at
// most inputQuiet plus a few ticks after the last dropped fetch, stays
// ready on the idle pipeline afterwards (no false "not ready"), and
// consumes what comes next.
func TestInputRecoversAfterTransientError(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	hl7s, _, _ := synthTraffic(8, 60, 0)
	e.produce(tHL7, hl7s[:30])
	p, err := New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	waitFor(t, 60*time.Second, "first records committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts)) == 30
	})
	waitFor(t, 10*time.Second, "pipeline ready", p.Ready)

	// drop fetch connections for 600 ms
	var mu sync.Mutex
	var lastDrop time.Time
	drops := 0
	until := time.Now().Add(600 * time.Millisecond)
	e.broker.c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		if time.Now().After(until) {
			e.broker.c.DropControl()
			return nil, nil, false
		}
		e.broker.c.KeepControl()
		mu.Lock()
		lastDrop, drops = time.Now(), drops+1
		mu.Unlock()
		return nil, fmt.Errorf("injected fetch failure"), true
	})
	waitFor(t, 5*time.Second, "the input reported failing", func() bool { return !p.Ready() })
	time.Sleep(time.Until(until))
	mu.Lock()
	last, n := lastDrop, drops
	mu.Unlock()
	if n == 0 {
		t.Fatal("no fetch was dropped")
	}
	// bounded recovery: the quiet window after the last error, plus the
	// watcher's tick and the Reader's next fetch after its backoff (≤ 1 s)
	bound := inputQuiet + 2*inputWatchTick + time.Second
	for !p.Ready() {
		if time.Since(last) > bound {
			t.Fatalf("not ready %s after the last dropped fetch (bound %s): failing %v", time.Since(last).Round(time.Millisecond), bound, p.FailingSinks())
		}
		time.Sleep(20 * time.Millisecond)
	}
	recovered := time.Since(last)
	// idle and healthy: must stay ready
	pollStop := make(chan struct{})
	notReady := watchReady(p, pollStop)
	time.Sleep(inputQuiet + 2*inputWatchTick)
	close(pollStop)
	if nr := notReady(); nr != 0 {
		t.Fatalf("idle pipeline not ready at %d polls after the transient error had passed: %v", nr, p.FailingSinks())
	}
	e.produce(tHL7, hl7s[30:])
	waitFor(t, 60*time.Second, "records after the error committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts)) == int64(len(hl7s))
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if good, _ := e.vaultCount(false); good != len(hl7s) {
		t.Fatalf("vault has %d records, want %d", good, len(hl7s))
	}
	t.Logf("dropped fetches=%d ready again %s after the last (bound %s)", n, recovered.Round(time.Millisecond), bound)
}

// TestInputOneDroppedFetch: one fetch connection dropped, repaired by the
// Reader's retry, is not an outage: the pipeline stays ready throughout.
func TestInputOneDroppedFetch(t *testing.T) {
	const parts = 2
	e := newEnv(t, parts, nil, nil)
	p, err := New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	stop := runPipeline(t, p)
	waitFor(t, 30*time.Second, "pipeline ready", p.Ready)
	pollStop := make(chan struct{})
	notReady := watchReady(p, pollStop)
	dropped := make(chan struct{})
	e.broker.c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		close(dropped) // handled: the control function is dropped after this one
		return nil, fmt.Errorf("injected fetch failure"), true
	})
	select {
	case <-dropped:
	case <-time.After(10 * time.Second):
		t.Fatal("no fetch came to drop")
	}
	hl7s, _, _ := synthTraffic(9, 20, 0)
	e.produce(tHL7, hl7s)
	waitFor(t, 60*time.Second, "records committed", func() bool {
		return sumCommitted(e.groupOffsets(tHL7, parts)) == int64(len(hl7s))
	})
	time.Sleep(inputQuiet + inputWatchTick)
	close(pollStop)
	if nr := notReady(); nr != 0 {
		t.Fatalf("not ready at %d polls after one dropped fetch", nr)
	}
	if n := inputErrors(p); n != 0 {
		t.Fatalf("the input was marked failing %d times for one dropped fetch", n)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestPersistentFetchError(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, c := range []struct {
		n          int64
		prev, last time.Time
		want       bool
	}{
		{1, time.Time{}, t0, false},                      // the first error: the retry may repair it
		{2, time.Time{}, t0, true},                       // the retry failed too
		{1, t0, t0.Add(time.Second), true},               // again within the quiet window
		{1, t0, t0.Add(inputQuiet + time.Second), false}, // a new lone error long after
	} {
		if got := persistent(c.n, c.prev, c.last); got != c.want {
			t.Errorf("persistent(%d, %v, %v) = %v, want %v", c.n, c.prev, c.last, got, c.want)
		}
	}
}
