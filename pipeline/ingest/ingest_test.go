package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/hl7"
)

// TestIngestConcurrentRoundTrip: messages over several concurrent
// connections are all AA, each AA echoes MSH-10, and the topic holds exactly
// those bytes, each connection's records in its sending order.
func TestIngestConcurrentRoundTrip(t *testing.T) {
	cluster, broker := startBroker(t, EmbeddedConfig{})
	defer cluster.Close()
	st := startServer(t, broker, Config{})

	const conns = 6
	msgs := testMessages(t, 240)
	perConn := make([][][]byte, conns)
	for i, m := range msgs {
		perConn[i%conns] = append(perConn[i%conns], m)
	}
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for ci := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, st.addr)
			for i, m := range perConn[ci] {
				a, err := c.send(m)
				if err != nil {
					errs <- fmt.Errorf("conn %d msg %d: %v", ci, i, err)
					return
				}
				orig, _ := hl7.Parse(m)
				want, _ := hl7.ShouldAck(orig, hl7.Accepted) // AA, or CA in enhanced mode
				if a.code != string(want) || a.ctlID != orig.ControlID() {
					errs <- fmt.Errorf("conn %d msg %d: ack %s for control id %q, want %s for %q", ci, i, a.code, a.ctlID, want, orig.ControlID())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	recs := readTopic(t, broker)
	if len(recs) != len(msgs) {
		t.Fatalf("topic holds %d records, sent and ACKed %d", len(recs), len(msgs))
	}
	// group by key (one key per connection), in offset order
	byKey := map[string][][]byte{}
	for _, r := range recs {
		if !strings.HasPrefix(string(r.key), "mllp-c") {
			t.Fatalf("unexpected record key %q", r.key)
		}
		byKey[string(r.key)] = append(byKey[string(r.key)], r.value)
	}
	if len(byKey) != conns {
		t.Fatalf("%d record keys, want one per connection (%d)", len(byKey), conns)
	}
	for ci, sent := range perConn {
		found := false
		for k, got := range byKey {
			if len(got) == len(sent) && bytes.Equal(got[0], sent[0]) {
				for i := range sent {
					if !bytes.Equal(got[i], sent[i]) {
						t.Fatalf("conn %d: record %d on the topic differs from message %d sent (order or bytes)", ci, i, i)
					}
				}
				delete(byKey, k)
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("conn %d: its %d messages are not on the topic under one key", ci, len(sent))
		}
	}
	s := st.srv.Metrics().Snapshot()
	if s.AckAccept != int64(len(msgs)) || s.Produced != int64(len(msgs)) || s.Received != int64(len(msgs)) {
		t.Fatalf("metrics %+v", s)
	}
	t.Logf("%d messages (%d from the corpus at most) over %d connections; produce latency mean %v max %v",
		len(msgs), len(msgs)/2, conns, s.ProduceLatency/time.Duration(max(s.Produced, 1)), s.ProduceMaxLat)
}

// TestPatientKey: with an HMAC key, records of one patient at one facility
// share a key that does not show the identifier.
func TestPatientKey(t *testing.T) {
	cluster, broker := startBroker(t, EmbeddedConfig{})
	defer cluster.Close()
	st := startServer(t, broker, Config{KeyHMAC: bytes.Repeat([]byte{7}, 32)})
	c := dial(t, st.addr)
	m1 := phiMessage("CTL1", "MRNQZX778")
	m2 := phiMessage("CTL2", "MRNQZX778")
	m3 := phiMessage("CTL3", "MRNOTHER55")
	noPID := []byte("MSH|^~\\&|A|FAC|B|C|20240101||ADT^A01|CTL4|P|2.5.1\r")
	for _, m := range [][]byte{m1, m2, m3, noPID} {
		if a, err := c.send(m); err != nil || a.code != "AA" {
			t.Fatalf("ack %v %v", a, err)
		}
	}
	recs := readTopic(t, broker)
	keys := map[string]string{}
	for _, r := range recs {
		m, _ := hl7.Parse(r.value)
		keys[m.ControlID()] = string(r.key)
		if bytes.Contains(r.key, []byte("MRN")) || bytes.Contains(r.key, []byte("FAC")) {
			t.Fatalf("key %q shows the identifier", r.key)
		}
	}
	if keys["CTL1"] != keys["CTL2"] || keys["CTL1"] == keys["CTL3"] || !strings.HasPrefix(keys["CTL1"], "p-") {
		t.Fatalf("patient keys %v", keys)
	}
	if !strings.HasPrefix(keys["CTL4"], "mllp-c") {
		t.Fatalf("no-PID message key %q, want the connection key", keys["CTL4"])
	}
}

// phiMessage is an ADT with distinctive fake PHI.
func phiMessage(ctl, mrn string) []byte {
	return []byte("MSH|^~\\&|SENDAPP|FAC|RCVAPP|RFAC|20240317101500||ADT^A01^ADT_A01|" + ctl + "|P|2.5.1\r" +
		"EVN|A01|20240317101500\r" +
		"PID|1||" + mrn + "^^^FAC^MR||ZQXWVUTSNAME^QQGIVENZQ^^^^^L||19450317|F|||123 QZVQ STREET^^QQCITYZQ^MA^02111||555-0199^PRN^PH^^^^^^^^^qqzz.mail@example.test|||||ACCTQZ9911|999-88-7766\r" +
		"PV1|1|I|WARD^101^A\r")
}

// TestRejectsAndBadFrames: a non-HL7 payload gets AR, an oversized frame
// gets AR with an empty MSA-2, a frame with a start byte inside gets AR,
// junk outside frames gets no ACK, and the connection keeps working.
func TestRejectsAndBadFrames(t *testing.T) {
	cluster, broker := startBroker(t, EmbeddedConfig{})
	defer cluster.Close()
	st := startServer(t, broker, Config{MaxMessageSize: 4096})
	c := dial(t, st.addr)
	good := func(ctl string) {
		t.Helper()
		a, err := c.send(phiMessage(ctl, "MRN1"))
		if err != nil || a.code != "AA" || a.ctlID != ctl {
			t.Fatalf("good message %s: %+v %v", ctl, a, err)
		}
	}
	good("G1")
	if a, err := c.send([]byte("hello, this is not HL7 at all")); err != nil || a.code != "AR" || a.ctlID != "" {
		t.Fatalf("non-HL7: %+v %v", a, err)
	}
	if a, err := c.send([]byte("PID|1||X\r")); err != nil || a.code != "AR" {
		t.Fatalf("no MSH: %+v %v", a, err)
	}
	good("G2")
	big := append(phiMessage("BIG1", "MRN1"), bytes.Repeat([]byte("NTE|1||"+strings.Repeat("x", 200)+"\r"), 40)...)
	if a, err := c.send(big); err != nil || a.code != "AR" || a.ctlID != "" {
		t.Fatalf("oversized: %+v %v", a, err)
	}
	good("G3")
	bad := hl7.AppendMLLP(nil, append([]byte("MSH|^~\\&|A|B|C|D|2024||ADT^A01|X|P|2.5\r\x0bPID|1\r"), 0))
	if err := c.sendRaw(bad); err != nil {
		t.Fatal(err)
	}
	if a, err := c.readAck(); err != nil || a.code != "AR" {
		t.Fatalf("start byte inside: %+v %v", a, err)
	}
	// junk between frames: no ACK for it, the next frame is ACKed normally
	if err := c.sendRaw([]byte("GARBAGE BYTES\r\n")); err != nil {
		t.Fatal(err)
	}
	good("G4")
	s := st.srv.Metrics().Snapshot()
	if s.AckAccept != 4 || s.AckReject != 4 || s.Junk != 1 || s.FrameErrors != 2 {
		t.Fatalf("metrics %+v", s)
	}
	recs := readTopic(t, broker)
	if len(recs) != 4 {
		t.Fatalf("%d records stored, want the 4 accepted", len(recs))
	}
}

// TestEnhancedModeAck: MSH-15 AL gives CA; NE gives no ACK (the message is
// still stored) so the next ACK belongs to the next message.
func TestEnhancedModeAck(t *testing.T) {
	cluster, broker := startBroker(t, EmbeddedConfig{})
	defer cluster.Close()
	st := startServer(t, broker, Config{})
	c := dial(t, st.addr)
	al := []byte("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|E1|P|2.5.1|||AL|NE\r")
	ne := []byte("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|E2|P|2.5.1|||NE|NE\r")
	if a, err := c.send(al); err != nil || a.code != "CA" || a.ctlID != "E1" {
		t.Fatalf("AL: %+v %v", a, err)
	}
	if err := c.sendRaw(hl7.AppendMLLP(nil, ne)); err != nil {
		t.Fatal(err)
	}
	if a, err := c.send(al); err != nil || a.code != "CA" {
		t.Fatalf("after NE: %+v %v", a, err)
	}
	if n := len(readTopic(t, broker)); n != 3 {
		t.Fatalf("%d records, want 3", n)
	}
}

// TestBrokerDownAEThenRetry: with the broker stopped, messages get AE (never
// AA); once a broker is back on the same port with the same data directory,
// the client's retries get AA and every message is on the topic, none lost.
func TestBrokerDownAEThenRetry(t *testing.T) {
	dataDir := t.TempDir()
	cluster, broker := startBroker(t, EmbeddedConfig{DataDir: dataDir})
	_, portStr, _ := net.SplitHostPort(broker)
	var port int
	fmt.Sscan(portStr, &port)
	var logs logBuffer
	st := startServer(t, broker, Config{ProduceTimeout: 3 * time.Second, Logger: newLogger(&logs)})
	c := dial(t, st.addr)

	var msgs [][]byte
	for i := range 30 {
		msgs = append(msgs, phiMessage(fmt.Sprintf("R%02d", i), fmt.Sprintf("MRN%03d", i)))
	}
	for _, m := range msgs[:10] {
		if a, err := c.send(m); err != nil || a.code != "AA" {
			t.Fatalf("before outage: %+v %v", a, err)
		}
	}
	cluster.Close()
	var pending [][]byte
	aeSeen := 0
	for _, m := range msgs[10:15] {
		a, err := c.send(m)
		if err != nil {
			t.Fatalf("during outage: %v", err)
		}
		switch a.code {
		case "AE":
			aeSeen++
			pending = append(pending, m)
		case "AA":
			t.Fatalf("AA while the broker is down")
		default:
			t.Fatalf("during outage: %+v", a)
		}
	}
	if aeSeen != 5 {
		t.Fatalf("%d AE during the outage, want 5", aeSeen)
	}

	cluster2, broker2 := startBroker(t, EmbeddedConfig{Port: port, DataDir: dataDir})
	defer cluster2.Close()
	if broker2 != broker {
		t.Fatalf("broker came back on %s, not %s", broker2, broker)
	}
	// the sender retries what got AE, in order, then goes on
	deadline := time.Now().Add(60 * time.Second)
	for _, m := range append(pending, msgs[15:]...) {
		for {
			a, err := c.send(m)
			if err != nil {
				t.Fatalf("after restart: %v", err)
			}
			if a.code == "AA" {
				break
			}
			if a.code != "AE" || time.Now().After(deadline) {
				t.Fatalf("after restart: %+v", a)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	recs := readTopic(t, broker2)
	seen := map[string]int{}
	for _, r := range recs {
		seen[string(r.value)]++
	}
	for i, m := range msgs {
		if seen[string(m)] == 0 {
			t.Fatalf("message %d lost", i)
		}
	}
	s := st.srv.Metrics().Snapshot()
	t.Logf("%d records for %d messages (duplicates from timed-out writes are allowed: at-least-once); AE sent %d", len(recs), len(msgs), s.AckError)
	assertNoPHI(t, logs.String())
}

// TestShutdownFinishesInFlight: Shutdown waits for a message being stored,
// which still gets its ACK, and then closes the connection.
func TestShutdownFinishesInFlight(t *testing.T) {
	p := &memProducer{block: make(chan struct{})}
	srv, addr := startMemServer(t, Config{}, p)
	c := dial(t, addr)
	if err := c.sendRaw(hl7.AppendMLLP(nil, phiMessage("S1", "MRN1"))); err != nil {
		t.Fatal(err)
	}
	p.waitCalls(t, 1)
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v before the in-flight message finished", err)
	default:
	}
	close(p.block)
	if a, err := c.readAck(); err != nil || a.code != "AA" || a.ctlID != "S1" {
		t.Fatalf("in-flight message: %+v %v", a, err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := c.readAck(); err == nil {
		t.Fatal("connection still open after shutdown")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}

// TestShutdownDeadlineGivesAEOrClose: when Shutdown's context ends before
// the producer answers, the produce is canceled and nothing is ACKed AA.
func TestShutdownDeadline(t *testing.T) {
	p := &memProducer{block: make(chan struct{})}
	defer close(p.block)
	srv, addr := startMemServer(t, Config{}, p)
	c := dial(t, addr)
	if err := c.sendRaw(hl7.AppendMLLP(nil, phiMessage("S2", "MRN1"))); err != nil {
		t.Fatal(err)
	}
	p.waitCalls(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v", err)
	}
	if a, err := c.readAck(); err == nil && a.code == "AA" {
		t.Fatal("AA for a message that was never stored")
	}
}

// TestLimits: connections over MaxConns are closed at once; an idle
// connection is closed after IdleTimeout.
func TestLimits(t *testing.T) {
	p := &memProducer{}
	srv, addr := startMemServer(t, Config{MaxConns: 2, IdleTimeout: 300 * time.Millisecond}, p)
	c1, c2 := dial(t, addr), dial(t, addr)
	for _, c := range []*client{c1, c2} {
		if a, err := c.send(phiMessage("L1", "MRN1")); err != nil || a.code != "AA" {
			t.Fatalf("%+v %v", a, err)
		}
	}
	c3 := dial(t, addr)
	if _, err := c3.send(phiMessage("L3", "MRN1")); err == nil {
		t.Fatal("third connection served beyond MaxConns")
	}
	time.Sleep(600 * time.Millisecond) // idle timeout passes
	if _, err := c1.readAck(); err == nil {
		t.Fatal("idle connection not closed")
	}
	s := srv.Metrics().Snapshot()
	if s.ConnsRefused != 1 || s.ConnsOpen != 0 {
		t.Fatalf("metrics %+v", s)
	}
}

// memProducer stores records in memory; it can block or fail.
type memProducer struct {
	mu    sync.Mutex
	recs  []Record
	calls int
	block chan struct{} // when set, Produce waits for it to close (or ctx)
	fail  bool
}

func (p *memProducer) Produce(ctx context.Context, rec Record) error {
	p.mu.Lock()
	p.calls++
	block, fail := p.block, p.fail
	p.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail {
		return &ProduceError{Class: "test failure"}
	}
	p.mu.Lock()
	p.recs = append(p.recs, rec)
	p.mu.Unlock()
	return nil
}

func (p *memProducer) waitCalls(t *testing.T, n int) {
	t.Helper()
	for range 500 {
		p.mu.Lock()
		c := p.calls
		p.mu.Unlock()
		if c >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("producer not called %d times", n)
}

func startMemServer(t *testing.T, cfg Config, p Producer) (*Server, string) {
	t.Helper()
	srv, err := NewServer(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv, ln.Addr().String()
}
