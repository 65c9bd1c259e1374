package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeharbor/safeharbor/hl7"
	"github.com/segmentio/kafka-go"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxMessageSize = 1_000_000 // below Kafka's default message.max.bytes
	DefaultMaxConns       = 256
	DefaultIdleTimeout    = 5 * time.Minute
	DefaultWriteTimeout   = 30 * time.Second
	DefaultProduceTimeout = 30 * time.Second
	DefaultHandshake      = 10 * time.Second
	// DefaultMaxConnsPerPeer bounds one peer's (remote IP's) connections, so
	// that one sender cannot take every slot of MaxConns.
	DefaultMaxConnsPerPeer = 16
	// DefaultFirstFrameTimeout closes a connection that has not sent a whole
	// frame this long after opening (idle or trickling connections).
	DefaultFirstFrameTimeout = 10 * time.Second
)

// Config tunes a Server. Zero values take the defaults above.
type Config struct {
	MaxMessageSize int           // largest frame payload accepted; larger frames get AR
	MaxConns       int           // connections beyond this are closed at once
	IdleTimeout    time.Duration // a connection with no frame for this long is closed
	// MaxConnsPerPeer: a peer (remote IP) with this many connections open has
	// further ones closed at once (default DefaultMaxConnsPerPeer).
	MaxConnsPerPeer int
	// FirstFrameTimeout: a connection whose first frame is not complete this
	// long after it opened (after the TLS handshake) is closed (default
	// DefaultFirstFrameTimeout; never longer than IdleTimeout).
	FirstFrameTimeout time.Duration
	WriteTimeout      time.Duration // bound on writing one ACK
	ProduceTimeout    time.Duration // bound on storing one message; past it the sender gets AE
	// TLS, when set, makes the server speak TLS (MinVersion is raised to 1.2).
	TLS *tls.Config
	// KeyHMAC, when at least 32 bytes, keys records by HMAC-SHA256(MSH-4,
	// PID-3.1); otherwise records are keyed by connection id.
	KeyHMAC []byte
	// AckApp and AckFacility name us in MSH-3/MSH-4 of the ACKs; empty
	// means the original's receiving application/facility.
	AckApp, AckFacility string
	// Logger receives content-free logs; nil discards them.
	Logger *slog.Logger
}

// Server is an MLLP listener that stores each message with a Producer
// before acknowledging it.
type Server struct {
	cfg     Config
	prod    Producer
	log     *slog.Logger
	metrics Metrics

	baseCtx    context.Context
	cancelBase context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	peers     map[string]int // open connections per remote IP
	closing   bool
	connWG    sync.WaitGroup
	nextID    atomic.Uint64
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("ingest: server closed")

// NewServer returns a server storing messages with p.
func NewServer(cfg Config, p Producer) (*Server, error) {
	if p == nil {
		return nil, errors.New("ingest: no producer")
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxConnsPerPeer <= 0 {
		cfg.MaxConnsPerPeer = DefaultMaxConnsPerPeer
	}
	if cfg.FirstFrameTimeout <= 0 {
		cfg.FirstFrameTimeout = DefaultFirstFrameTimeout
	}
	cfg.FirstFrameTimeout = min(cfg.FirstFrameTimeout, cfg.IdleTimeout)
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.ProduceTimeout <= 0 {
		cfg.ProduceTimeout = DefaultProduceTimeout
	}
	if len(cfg.KeyHMAC) > 0 && len(cfg.KeyHMAC) < 32 {
		return nil, errors.New("ingest: record key HMAC key is shorter than 32 bytes")
	}
	if cfg.TLS != nil {
		cfg.TLS = cfg.TLS.Clone()
		if cfg.TLS.MinVersion < tls.VersionTLS12 {
			cfg.TLS.MinVersion = tls.VersionTLS12
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg: cfg, prod: p, log: log,
		baseCtx: ctx, cancelBase: cancel,
		listeners: map[net.Listener]struct{}{},
		conns:     map[*conn]struct{}{},
		peers:     map[string]int{},
	}, nil
}

// Metrics returns the server's counters.
func (s *Server) Metrics() *Metrics { return &s.metrics }

// Serve accepts connections on ln until Shutdown and returns
// ErrServerClosed then (or the listener's error). ln is closed on return.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporaryAccept(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("mllp accept failed; retrying", "error_class", ErrorClass(err), "backoff", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.startConn(nc)
	}
}

func isTemporaryAccept(err error) bool {
	// EMFILE/ENFILE and aborted connections are worth retrying.
	return errors.Is(err, errTooManyFiles) || errors.Is(err, errConnAborted)
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// conn is one client connection.
type conn struct {
	s      *Server
	id     uint64
	nc     net.Conn
	remote string
	peer   string // remote IP, the unit of MaxConnsPerPeer
	key    []byte // record key when no patient key applies
	frames int    // complete frames read (0: FirstFrameTimeout applies)
	opened time.Time

	mu      sync.Mutex
	closing bool
}

func (s *Server) startConn(nc net.Conn) {
	id := s.nextID.Add(1)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if len(s.conns) >= s.cfg.MaxConns {
		s.mu.Unlock()
		s.metrics.connsRefused.Add(1)
		s.log.Warn("mllp connection refused: limit reached", "conn", id, "remote", nc.RemoteAddr().String(), "max_conns", s.cfg.MaxConns)
		nc.Close()
		return
	}
	peer := peerOf(nc)
	if s.peers[peer] >= s.cfg.MaxConnsPerPeer {
		s.mu.Unlock()
		s.metrics.connsRefused.Add(1)
		s.metrics.connsPeerRefused.Add(1)
		s.log.Warn("mllp connection refused: per-peer limit reached", "conn", id, "remote", nc.RemoteAddr().String(), "max_conns_per_peer", s.cfg.MaxConnsPerPeer)
		nc.Close()
		return
	}
	c := &conn{s: s, id: id, nc: nc, remote: nc.RemoteAddr().String(), peer: peer, key: []byte("mllp-c" + strconv.FormatUint(id, 10))}
	s.conns[c] = struct{}{}
	s.peers[peer]++
	s.connWG.Add(1)
	s.mu.Unlock()
	s.metrics.connsTotal.Add(1)
	s.metrics.connsOpen.Add(1)
	go c.serve()
}

// ServeConn handles one already-accepted connection until it ends; it is
// what Serve runs for each connection (TLS, if configured, is added here).
func (s *Server) ServeConn(nc net.Conn) {
	id := s.nextID.Add(1)
	c := &conn{s: s, id: id, nc: nc, remote: remoteOf(nc), peer: peerOf(nc), key: []byte("mllp-c" + strconv.FormatUint(id, 10))}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.peers[c.peer]++
	s.connWG.Add(1)
	s.mu.Unlock()
	s.metrics.connsTotal.Add(1)
	s.metrics.connsOpen.Add(1)
	c.serve()
}

// peerOf is the remote IP of nc (the whole address when it has no port).
func peerOf(nc net.Conn) string {
	a := remoteOf(nc)
	if h, _, err := net.SplitHostPort(a); err == nil {
		return h
	}
	return a
}

func remoteOf(nc net.Conn) string {
	if a := nc.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// armRead sets the idle deadline for the next read unless the server is
// shutting down; the check and the deadline are atomic with stopReading.
func (c *conn) armRead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	deadline := time.Now().Add(c.s.cfg.IdleTimeout)
	if c.frames == 0 {
		// Measured from the opening, so bytes outside frames do not extend it.
		deadline = c.opened.Add(c.s.cfg.FirstFrameTimeout)
	}
	_ = c.nc.SetReadDeadline(deadline)
	return true
}

// stopReading makes a blocked read return and no further message be read;
// a message already read is still stored and acknowledged.
func (c *conn) stopReading() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	_ = c.nc.SetReadDeadline(time.Now())
}

func (c *conn) stopping() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

func (c *conn) serve() {
	s := c.s
	log := s.log.With("conn", c.id, "remote", c.remote)
	defer func() {
		if r := recover(); r != nil {
			// never expected; keep the server alive and say nothing of the content
			log.Error("mllp connection handler panicked", "error_class", "panic")
		}
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		if s.peers[c.peer]--; s.peers[c.peer] <= 0 {
			delete(s.peers, c.peer)
		}
		s.mu.Unlock()
		s.metrics.connsOpen.Add(-1)
		s.connWG.Done()
	}()
	if s.cfg.TLS != nil {
		tc := tls.Server(c.nc, s.cfg.TLS)
		c.mu.Lock()
		c.nc = tc
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(s.baseCtx, DefaultHandshake)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			s.metrics.tlsFailures.Add(1)
			log.Warn("mllp TLS handshake failed", "error_class", tlsErrorClass(err))
			return
		}
	}
	log.Info("mllp connection opened")
	c.opened = time.Now()
	r := hl7.NewMLLPReader(c.nc, s.cfg.MaxMessageSize)
	for {
		if !c.armRead() {
			log.Info("mllp connection closed for shutdown", "frames", r.Frames())
			return
		}
		payload, err := r.ReadMessage()
		c.frames = r.Frames()
		if err != nil {
			var he *hl7.Error
			switch {
			case err == io.EOF:
				log.Info("mllp connection closed by peer", "frames", r.Frames())
				return
			case errors.As(err, &he) && errors.Is(err, hl7.ErrFrameTooLarge):
				s.metrics.received.Add(1)
				s.metrics.frameErrors.Add(1)
				log.Warn("mllp frame too large", "msg", r.Frames(), "max_bytes", s.cfg.MaxMessageSize)
				if !c.reply(log, r.Frames(), nil, hl7.Rejected, "207", "message exceeds the size limit") {
					return
				}
				continue
			case errors.As(err, &he) && errors.Is(err, hl7.ErrFrame) && he.Message > 0:
				s.metrics.received.Add(1)
				s.metrics.frameErrors.Add(1)
				log.Warn("mllp bad frame", "msg", r.Frames(), "error_class", "start byte inside a frame")
				if !c.reply(log, r.Frames(), nil, hl7.Rejected, "100", "invalid MLLP frame") {
					return
				}
				continue
			case errors.As(err, &he) && errors.Is(err, hl7.ErrFrame):
				s.metrics.junk.Add(1)
				log.Warn("mllp bytes outside a frame skipped", "after_msg", r.Frames())
				continue
			case errors.Is(err, hl7.ErrFrameTruncated):
				log.Warn("mllp connection ended inside a frame", "msg", r.Frames())
				return
			case c.stopping():
				log.Info("mllp connection closed for shutdown", "frames", r.Frames())
				return
			case errors.Is(err, os.ErrDeadlineExceeded) && r.Frames() == 0:
				s.metrics.firstFrameTimeouts.Add(1)
				log.Info("mllp connection sent no frame in time; closing", "first_frame_timeout", s.cfg.FirstFrameTimeout)
				return
			case errors.Is(err, os.ErrDeadlineExceeded):
				log.Info("mllp connection idle; closing", "frames", r.Frames(), "idle_timeout", s.cfg.IdleTimeout)
				return
			default:
				log.Warn("mllp read failed; closing", "frames", r.Frames(), "error_class", ErrorClass(err))
				return
			}
		}
		s.metrics.received.Add(1)
		if !c.handle(log, r.Frames(), payload) {
			return
		}
	}
}

// handle stores one message and acknowledges it; false means the
// connection is unusable.
func (c *conn) handle(log *slog.Logger, idx int, payload []byte) bool {
	s := c.s
	// the producer keeps the bytes (a timed-out write may still be sent), so
	// they must not alias the reader's buffer
	val := append(make([]byte, 0, len(payload)), payload...)
	m, err := hl7.Parse(val)
	if err != nil {
		log.Warn("mllp message rejected: not HL7v2", "msg", idx, "error_class", hl7ErrorClass(err))
		return c.reply(log, idx, nil, hl7.Rejected, "200", "not an HL7v2 message")
	}
	rec := Record{
		Key:   c.recordKey(m),
		Value: val,
		Headers: []kafka.Header{
			{Key: "safeharbor-source", Value: []byte("mllp")},
			{Key: "safeharbor-conn", Value: c.key},
		},
	}
	ctx, cancel := context.WithTimeout(s.baseCtx, s.cfg.ProduceTimeout)
	start := time.Now()
	err = s.prod.Produce(ctx, rec)
	d := time.Since(start)
	cancel()
	s.metrics.observeProduce(d, err)
	if err != nil {
		log.Warn("mllp message not stored; AE", "msg", idx, "error_class", ErrorClass(err), "produce_ms", d.Milliseconds())
		return c.reply(log, idx, m, hl7.Errored, "207", "message not stored; retry later")
	}
	log.Debug("mllp message stored", "msg", idx, "produce_ms", d.Milliseconds())
	return c.reply(log, idx, m, hl7.Accepted, "", "")
}

// reply sends the ACK for outcome (unless enhanced mode says not to).
func (c *conn) reply(log *slog.Logger, idx int, orig *hl7.Message, out hl7.Outcome, errCode, errText string) bool {
	s := c.s
	code, send := hl7.ShouldAck(orig, out)
	if !send {
		s.metrics.ackSuppressed.Add(1)
		return true
	}
	ack := hl7.NewACK(orig, code, hl7.AckOptions{
		SendingApp: s.cfg.AckApp, SendingFacility: s.cfg.AckFacility,
		ErrorCode: errCode, ErrorText: errText,
	})
	// counted as sent before the write so that a client reading the ACK
	// sees the counters already updated; a failed write is counted apart
	switch out {
	case hl7.Accepted:
		s.metrics.ackAccept.Add(1)
	case hl7.Errored:
		s.metrics.ackError.Add(1)
	default:
		s.metrics.ackReject.Add(1)
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if err := hl7.WriteMLLP(c.nc, ack); err != nil {
		s.metrics.ackWriteErrors.Add(1)
		log.Warn("mllp ACK not delivered; closing", "msg", idx, "ack", string(code), "error_class", ErrorClass(err))
		return false
	}
	return true
}

// recordKey returns the patient key (HMAC of MSH-4 and PID-3.1) when a key
// is configured and PID-3.1 is present, and the connection key otherwise.
func (c *conn) recordKey(m *hl7.Message) []byte {
	k := c.s.cfg.KeyHMAC
	if len(k) == 0 {
		return c.key
	}
	pid, err := m.Get("PID-3.1")
	if err != nil || pid == "" {
		return c.key
	}
	fac, _ := m.Get("MSH-4")
	h := hmac.New(sha256.New, k)
	h.Write([]byte("safeharbor/mllp-key/v1\x00"))
	h.Write([]byte(fac))
	h.Write([]byte{0})
	h.Write([]byte(pid))
	sum := h.Sum(nil)
	out := make([]byte, 2+32)
	copy(out, "p-")
	hex.Encode(out[2:], sum[:16])
	return out
}

// Shutdown stops accepting, lets every connection finish the message it is
// handling (ACK or AE), closes the connections and returns. If ctx ends
// first, pending produce calls are canceled, connections are closed and
// ctx's error is returned. The Producer is not closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.stopReading()
	}
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
		s.cancelBase()
		return nil
	case <-ctx.Done():
		s.cancelBase()
		s.mu.Lock()
		for c := range s.conns {
			c.mu.Lock()
			c.nc.Close()
			c.mu.Unlock()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

func hl7ErrorClass(err error) string {
	for _, k := range []error{hl7.ErrEmpty, hl7.ErrNoMSH, hl7.ErrTruncated, hl7.ErrBadDelimiters, hl7.ErrBadSegmentName, hl7.ErrTooLarge} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "hl7: other"
}

func tlsErrorClass(err error) string {
	var ae tls.AlertError
	var re tls.RecordHeaderError
	var ce *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ce):
		return "tls: client certificate not verified"
	case errors.As(err, &re):
		return "tls: not a TLS client"
	case errors.As(err, &ae):
		return "tls: alert " + ae.Error()
	case errors.Is(err, io.EOF):
		return "tls: peer closed during handshake"
	}
	return "tls: " + ErrorClass(err)
}
