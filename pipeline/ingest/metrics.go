package ingest

import (
	"sync/atomic"
	"time"
)

// LatencyBounds are the upper bounds of the produce latency histogram
// buckets; a last, unbounded bucket counts everything slower.
var LatencyBounds = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 5 * time.Second,
}

// Metrics are the server's counters. They are safe for concurrent use; read
// them with Snapshot.
type Metrics struct {
	connsOpen, connsTotal, connsRefused, tlsFailures atomic.Int64
	connsPeerRefused, firstFrameTimeouts             atomic.Int64
	received, frameErrors, junk                      atomic.Int64
	ackAccept, ackError, ackReject, ackSuppressed    atomic.Int64
	ackWriteErrors                                   atomic.Int64
	produced, produceErrors                          atomic.Int64
	produceNanos, produceMaxNanos                    atomic.Int64
	buckets                                          [16]atomic.Int64
}

// MetricsSnapshot is a point-in-time copy of Metrics, plain values ready to
// render (for example as Prometheus counters).
type MetricsSnapshot struct {
	ConnsOpen    int64 // connections open now
	ConnsTotal   int64 // connections accepted since start
	ConnsRefused int64 // connections closed at once because MaxConns was reached
	// ConnsPeerRefused counts connections closed at once because their peer
	// already had MaxConnsPerPeer open (included in ConnsRefused).
	ConnsPeerRefused int64
	// FirstFrameTimeouts counts connections closed because no complete frame
	// arrived within FirstFrameTimeout of opening.
	FirstFrameTimeouts int64
	TLSFailures        int64 // TLS handshakes that failed

	Received    int64 // frames received (good or bad, oversized included)
	FrameErrors int64 // frames rejected before parsing (oversized, start byte inside)
	Junk        int64 // runs of bytes outside any frame (skipped, not ACKed)

	AckAccept     int64 // AA or CA sent (written or attempted): stored in Kafka
	AckError      int64 // AE or CE sent: not stored, the sender should retry
	AckReject     int64 // AR or CR sent: not HL7v2, bad or oversized frame
	AckSuppressed int64 // no ACK sent because of the message's MSH-15 (enhanced mode)
	AckWriteErrs  int64 // ACKs that could not be written to the connection

	Produced         int64         // records acknowledged by the broker
	ProduceErrors    int64         // produce calls that failed or timed out
	ProduceLatency   time.Duration // sum of produce call durations (success and failure)
	ProduceMaxLat    time.Duration // slowest produce call
	LatencyBounds    []time.Duration
	LatencyHistogram []int64 // per bucket of LatencyBounds, plus one last overflow bucket
}

// Snapshot returns the current values.
func (m *Metrics) Snapshot() MetricsSnapshot {
	s := MetricsSnapshot{
		ConnsOpen:          m.connsOpen.Load(),
		ConnsTotal:         m.connsTotal.Load(),
		ConnsRefused:       m.connsRefused.Load(),
		ConnsPeerRefused:   m.connsPeerRefused.Load(),
		FirstFrameTimeouts: m.firstFrameTimeouts.Load(),
		TLSFailures:        m.tlsFailures.Load(),
		Received:           m.received.Load(),
		FrameErrors:        m.frameErrors.Load(),
		Junk:               m.junk.Load(),
		AckAccept:          m.ackAccept.Load(),
		AckError:           m.ackError.Load(),
		AckReject:          m.ackReject.Load(),
		AckSuppressed:      m.ackSuppressed.Load(),
		AckWriteErrs:       m.ackWriteErrors.Load(),
		Produced:           m.produced.Load(),
		ProduceErrors:      m.produceErrors.Load(),
		ProduceLatency:     time.Duration(m.produceNanos.Load()),
		ProduceMaxLat:      time.Duration(m.produceMaxNanos.Load()),
		LatencyBounds:      append([]time.Duration(nil), LatencyBounds...),
	}
	s.LatencyHistogram = make([]int64, len(LatencyBounds)+1)
	for i := range s.LatencyHistogram {
		s.LatencyHistogram[i] = m.buckets[i].Load()
	}
	return s
}

func (m *Metrics) observeProduce(d time.Duration, err error) {
	if err != nil {
		m.produceErrors.Add(1)
	} else {
		m.produced.Add(1)
	}
	ns := int64(d)
	m.produceNanos.Add(ns)
	for {
		cur := m.produceMaxNanos.Load()
		if ns <= cur || m.produceMaxNanos.CompareAndSwap(cur, ns) {
			break
		}
	}
	i := 0
	for i < len(LatencyBounds) && d > LatencyBounds[i] {
		i++
	}
	m.buckets[i].Add(1)
}
