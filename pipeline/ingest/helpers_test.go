package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/hl7"
	"github.com/safeharbor/safeharbor/internal/synth"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

const testTopic = "hl7-raw"

// stack is an embedded broker, a producer and a server on loopback.
type stack struct {
	cluster *kfake.Cluster
	broker  string
	prod    *KafkaProducer
	srv     *Server
	addr    string
	done    chan error
}

func startBroker(tb testing.TB, cfg EmbeddedConfig) (*kfake.Cluster, string) {
	tb.Helper()
	if cfg.Topics == nil {
		cfg.Topics = []string{testTopic}
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = 4
	}
	c, addr, err := StartEmbedded(cfg)
	if err != nil {
		tb.Fatalf("embedded broker: %v", err)
	}
	return c, addr
}

// startServer starts a server producing to broker and registers cleanup.
func startServer(tb testing.TB, broker string, cfg Config) *stack {
	tb.Helper()
	prod, err := NewKafkaProducer(KafkaConfig{Brokers: []string{broker}, Topic: testTopic, DialTimeout: time.Second, IOTimeout: 2 * time.Second, MaxAttempts: 2})
	if err != nil {
		tb.Fatal(err)
	}
	if cfg.ProduceTimeout == 0 {
		cfg.ProduceTimeout = 5 * time.Second
	}
	srv, err := NewServer(cfg, prod)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	st := &stack{broker: broker, prod: prod, srv: srv, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { st.done <- srv.Serve(ln) }()
	tb.Cleanup(func() { st.stop(tb) })
	return st
}

func (st *stack) stop(tb testing.TB) {
	if st.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.srv.Shutdown(ctx); err != nil {
		tb.Errorf("shutdown: %v", err)
	}
	select {
	case err := <-st.done:
		if !errors.Is(err, ErrServerClosed) {
			tb.Errorf("serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		tb.Error("Serve did not return")
	}
	_ = st.prod.Close()
	st.srv = nil
}

// client is an MLLP test client.
type client struct {
	nc net.Conn
	r  *hl7.MLLPReader
}

func dial(tb testing.TB, addr string) *client {
	tb.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { nc.Close() })
	return &client{nc: nc, r: hl7.NewMLLPReader(nc, 0)}
}

func dialTLS(addr string, cfg *tls.Config) (*client, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	nc, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	return &client{nc: nc, r: hl7.NewMLLPReader(nc, 0)}, nil
}

// ack is the part of an ACK the tests look at.
type ack struct {
	code, ctlID string
}

// send writes one frame and waits for one ACK.
func (c *client) send(msg []byte) (ack, error) {
	if err := c.sendRaw(hl7.AppendMLLP(nil, msg)); err != nil {
		return ack{}, err
	}
	return c.readAck()
}

func (c *client) sendRaw(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.nc.Write(b)
	return err
}

func (c *client) readAck() (ack, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := c.r.ReadMessage()
	if err != nil {
		return ack{}, err
	}
	m, err := hl7.Parse(b)
	if err != nil {
		return ack{}, err
	}
	code, _ := m.Get("MSA-1")
	id, _ := m.Get("MSA-2")
	return ack{code, id}, nil
}

// testMessages returns up to n messages: parseable corpus messages that
// always get an ACK (if the corpus is there), then synthetic ones.
func testMessages(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, m := range corpusMessages(tb) {
		if len(out) >= n/2 {
			break
		}
		out = append(out, m)
	}
	g := synth.New(7, synth.Options{Patients: 50})
	for len(out) < n {
		out = append(out, g.HL7())
	}
	return out
}

// corpusMessages reads the shared corpus with hl7.NewScanner; nil when it is absent.
func corpusMessages(tb testing.TB) [][]byte {
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		tb.Logf("shared corpus not found at %s: using synthetic messages only", dir)
		return nil
	}
	var out [][]byte
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		if (ext != ".hl7" && ext != ".txt") || strings.Contains(p, "redactor-profiles") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		sc := hl7.NewScanner(bufio.NewReader(f), 0)
		for {
			msg, err := sc.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if _, ok := err.(*hl7.Error); ok {
					continue
				}
				break
			}
			if bytes.IndexByte(msg, 0x0B) >= 0 || bytes.IndexByte(msg, 0x1C) >= 0 || len(msg) > DefaultMaxMessageSize {
				continue
			}
			m, err := hl7.Parse(msg)
			if err != nil {
				continue
			}
			if _, send := hl7.ShouldAck(m, hl7.Accepted); !send {
				continue
			}
			if _, send := hl7.ShouldAck(m, hl7.Errored); !send {
				continue
			}
			out = append(out, append([]byte(nil), msg...))
		}
		return nil
	})
	return out
}

// record is one record read back from the topic.
type record struct {
	partition int
	offset    int64
	key       []byte
	value     []byte
}

// readTopic reads every record of the topic, partition by partition.
func readTopic(tb testing.TB, broker string) []record {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := kafka.DialContext(ctx, "tcp", broker)
	if err != nil {
		tb.Fatalf("dial broker: %v", err)
	}
	parts, err := conn.ReadPartitions(testTopic)
	conn.Close()
	if err != nil {
		tb.Fatalf("partitions: %v", err)
	}
	var out []record
	for _, p := range parts {
		lc, err := kafka.DialLeader(ctx, "tcp", broker, testTopic, p.ID)
		if err != nil {
			tb.Fatalf("dial leader: %v", err)
		}
		first, last, err := lc.ReadOffsets()
		lc.Close()
		if err != nil {
			tb.Fatalf("offsets: %v", err)
		}
		if last <= first {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: testTopic, Partition: p.ID, MaxWait: 100 * time.Millisecond})
		if err := r.SetOffset(first); err != nil {
			tb.Fatal(err)
		}
		for off := first; off < last; {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				tb.Fatalf("read partition %d at %d of %d: %v", p.ID, off, last, err)
			}
			out = append(out, record{partition: p.ID, offset: m.Offset, key: m.Key, value: m.Value})
			off = m.Offset + 1
		}
		r.Close()
	}
	return out
}

// logBuffer is a concurrency-safe buffer for slog output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
