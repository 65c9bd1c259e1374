package ingest

import (
	"net"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/hl7"
)

// dialFrom connects to addr from the local IP src (any 127/8 address works
// on Linux loopback), so tests can play several peers.
func dialFrom(t *testing.T, src, addr string) (*client, error) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { nc.Close() })
	return &client{nc: nc, r: hl7.NewMLLPReader(nc, 0)}, nil
}

// 256 idle connections from one peer (the default MaxConns, which used to
// lock every other sender out for the 5-minute idle timeout) do not keep
// another peer from sending: one peer gets MaxConnsPerPeer connections, and
// connections that never send a frame are closed after FirstFrameTimeout.
func TestIdlePeerCannotStarveOthers(t *testing.T) {
	p := &memProducer{}
	srv, addr := startMemServer(t, Config{FirstFrameTimeout: 500 * time.Millisecond}, p)
	if _, err := dialFrom(t, "127.0.0.2", addr); err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	var idle []*client
	for range DefaultMaxConns {
		c, err := dialFrom(t, "127.0.0.1", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		idle = append(idle, c)
	}
	// Another peer is served at once, while the idle ones are still open.
	other, err := dialFrom(t, "127.0.0.3", addr)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := other.send(phiMessage("P2", "MRN2")); err != nil || a.code != "AA" {
		t.Fatalf("other peer starved: %+v %v", a, err)
	}
	s := srv.Metrics().Snapshot()
	if s.ConnsPeerRefused < int64(DefaultMaxConns-DefaultMaxConnsPerPeer) {
		t.Fatalf("per-peer refusals %d, want ≥ %d", s.ConnsPeerRefused, DefaultMaxConns-DefaultMaxConnsPerPeer)
	}
	// The idle connections that were accepted are closed after FirstFrameTimeout.
	deadline := time.Now().Add(5 * time.Second)
	for srv.Metrics().Snapshot().ConnsOpen > 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	s = srv.Metrics().Snapshot()
	if s.ConnsOpen > 1 || s.FirstFrameTimeouts < int64(DefaultMaxConnsPerPeer) {
		t.Fatalf("idle connections not closed: %+v", s)
	}
	// The same peer can connect and send again afterwards.
	again, err := dialFrom(t, "127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := again.send(phiMessage("P1", "MRN1")); err != nil || a.code != "AA" {
		t.Fatalf("first peer after idle close: %+v %v", a, err)
	}
	_ = idle
}

// A connection that trickles bytes outside any frame is still closed when
// its first frame has not arrived in time.
func TestFirstFrameTimeoutNotExtendedByJunk(t *testing.T) {
	p := &memProducer{}
	srv, addr := startMemServer(t, Config{FirstFrameTimeout: 400 * time.Millisecond}, p)
	c := dial(t, addr)
	stop := time.After(1500 * time.Millisecond)
	closed := false
	for !closed {
		select {
		case <-stop:
			t.Fatal("trickling connection still open")
		case <-time.After(100 * time.Millisecond):
			if err := c.sendRaw([]byte("x")); err != nil {
				closed = true
			}
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := c.nc.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
			closed = true
		}
	}
	if srv.Metrics().Snapshot().FirstFrameTimeouts != 1 {
		t.Fatalf("%+v", srv.Metrics().Snapshot())
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
