package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Record is one message to store.
type Record struct {
	Key   []byte // partitioning key; never PHI in clear (see package doc)
	Value []byte // the message exactly as received; owned by the producer
	// Headers are content-free metadata (source, connection id).
	Headers []kafka.Header
}

// Producer stores records durably. Produce returns nil only once the broker
// acknowledged the record (acks=all); it is called concurrently from many
// connections and should batch them. Errors must not contain message content.
type Producer interface {
	Produce(ctx context.Context, rec Record) error
}

// KafkaConfig configures a KafkaProducer.
type KafkaConfig struct {
	Brokers []string // host:port seeds
	Topic   string
	// BatchTimeout is how long a partition's batch waits for more records
	// from other connections before it is sent (default 2ms).
	BatchTimeout time.Duration
	// BatchSize caps the records per batch (default 500).
	BatchSize int
	// BatchBytes caps a batch's size in bytes (default 1 MiB + 64 KiB);
	// it must exceed the largest message accepted.
	BatchBytes int64
	// MaxAttempts is how many times a batch is tried (default 3).
	MaxAttempts int
	// DialTimeout bounds connecting to a broker (default 3s).
	DialTimeout time.Duration
	// IOTimeout bounds one produce request round trip (default 10s).
	IOTimeout time.Duration
	// TLS, when set, encrypts the connections to the brokers.
	TLS *tls.Config
	// SASL, when set, authenticates to the brokers.
	SASL sasl.Mechanism
}

// KafkaProducer is a Producer on a segmentio/kafka-go Writer with
// RequiredAcks = RequireAll, synchronous writes, and a hash balancer so that
// records with the same key share a partition.
type KafkaProducer struct {
	w *kafka.Writer
}

// NewKafkaProducer returns a producer for cfg. It does not connect until the
// first record.
func NewKafkaProducer(cfg KafkaConfig) (*KafkaProducer, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("ingest: no Kafka brokers given")
	}
	if cfg.Topic == "" {
		return nil, errors.New("ingest: no Kafka topic given")
	}
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = 2 * time.Millisecond
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 1<<20 + 64<<10
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 3 * time.Second
	}
	if cfg.IOTimeout <= 0 {
		cfg.IOTimeout = 10 * time.Second
	}
	w := &kafka.Writer{
		Addr:            kafka.TCP(cfg.Brokers...),
		Topic:           cfg.Topic,
		Balancer:        &kafka.Hash{},
		RequiredAcks:    kafka.RequireAll,
		Async:           false,
		BatchTimeout:    cfg.BatchTimeout,
		BatchSize:       cfg.BatchSize,
		BatchBytes:      cfg.BatchBytes,
		MaxAttempts:     cfg.MaxAttempts,
		WriteBackoffMin: 50 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		ReadTimeout:     cfg.IOTimeout,
		WriteTimeout:    cfg.IOTimeout,
		Transport: &kafka.Transport{
			DialTimeout: cfg.DialTimeout,
			MetadataTTL: 10 * time.Second,
			ClientID:    "safeharbor-mllp",
			TLS:         cfg.TLS,
			SASL:        cfg.SASL,
		},
	}
	return &KafkaProducer{w: w}, nil
}

// Produce writes rec and waits for the broker's acknowledgment (or ctx).
func (p *KafkaProducer) Produce(ctx context.Context, rec Record) error {
	err := p.w.WriteMessages(ctx, kafka.Message{Key: rec.Key, Value: rec.Value, Headers: rec.Headers})
	if err != nil {
		return &ProduceError{Class: ErrorClass(err)}
	}
	return nil
}

// Close flushes pending batches and closes the writer.
func (p *KafkaProducer) Close() error {
	if err := p.w.Close(); err != nil {
		return &ProduceError{Class: ErrorClass(err)}
	}
	return nil
}

// ProduceError is a failed produce, reduced to a content-free class: the
// kafka-go errors can carry the messages themselves, so they are not kept.
type ProduceError struct {
	Class string
}

// Error returns the class, prefixed; it never holds message content.
func (e *ProduceError) Error() string { return "ingest: produce failed: " + e.Class }

// ErrorClass names the kind of err in a few fixed words that never include
// message content: "timeout", "canceled", "connection refused", "kafka:
// <protocol error name>", "message too large", "closed", "network" or "other".
func ErrorClass(err error) string {
	var pe *ProduceError
	if errors.As(err, &pe) {
		return pe.Class
	}
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil {
				return ErrorClass(e)
			}
		}
	}
	var mtl kafka.MessageTooLargeError
	if errors.As(err, &mtl) {
		return "message too large"
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		return "kafka: " + strings.ToLower(ke.Title())
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return "closed"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return "timeout"
		}
		return "network"
	}
	return fmt.Sprintf("other (%T)", err)
}
