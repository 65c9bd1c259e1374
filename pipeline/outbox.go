package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// outbox buffers messages for the output and DLQ topics; a checkpoint
// produces them with acks=all before committing the offsets they came from.
type outbox struct {
	w      *kafka.Writer
	big    *kafka.Writer // one message per produce request: outputs larger than a batch of w
	m      *Metrics
	max    int
	mu     sync.Mutex
	msgs   []kafka.Message
	freed  chan struct{} // closed and replaced after every flush
	closed bool
}

func newOutbox(cfg Config, m *Metrics) *outbox {
	w := &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    1000,
		// A produce batch must stay under the broker's message.max.bytes
		// (1048588 by default in Kafka and kfake): a larger batch is refused
		// with MESSAGE_TOO_LARGE on every retry and the checkpoint stalls.
		BatchBytes:   outboxBatchBytes,
		BatchTimeout: 5 * time.Millisecond,
		MaxAttempts:  3,
	}
	if cfg.Transport != nil { // a typed nil would be called
		w.Transport = cfg.Transport
	}
	// A de-identified record can be larger than a batch (records go up to
	// MaxRecordSize): kafka-go refuses such a message before sending it,
	// on every retry, and the checkpoint would stall for good. It goes
	// alone in its own produce request; whether the topic takes it is the
	// broker's call (max.message.bytes), and a refusal shows as the
	// kafka-output sink failing.
	big := &kafka.Writer{Addr: w.Addr, Balancer: w.Balancer, RequiredAcks: w.RequiredAcks, BatchSize: 1,
		BatchBytes: math.MaxInt32, BatchTimeout: w.BatchTimeout, MaxAttempts: w.MaxAttempts, Transport: w.Transport}
	return &outbox{
		w:     w,
		big:   big,
		m:     m,
		max:   cfg.MaxOutbox,
		freed: make(chan struct{}),
	}
}

// add queues a message, waiting for a checkpoint while the outbox is full.
func (o *outbox) add(ctx context.Context, p *Pipeline, msg kafka.Message) error {
	for {
		o.mu.Lock()
		if len(o.msgs) < o.max {
			o.msgs = append(o.msgs, msg)
			o.mu.Unlock()
			return nil
		}
		freed := o.freed
		o.mu.Unlock()
		p.kickCheckpoint()
		select {
		case <-ctx.Done():
			return errStopped
		case <-freed:
		case <-time.After(time.Second):
		}
	}
}

// flush produces every queued message; on failure they stay queued.
func (o *outbox) flush(ctx context.Context) error {
	o.mu.Lock()
	batch := o.msgs
	o.msgs = nil
	o.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := o.write(ctx, batch); err != nil {
		o.mu.Lock()
		o.msgs = append(batch, o.msgs...)
		o.mu.Unlock()
		return kafkaWriteError(err)
	}
	counts := map[string]int64{}
	for i := range batch {
		counts[batch[i].Topic]++
	}
	for t, n := range counts {
		o.m.OutputMessages.Add(n, t)
	}
	o.mu.Lock()
	close(o.freed)
	o.freed = make(chan struct{})
	o.mu.Unlock()
	return nil
}

// outboxBatchBytes bounds a produce batch (see newOutbox).
const outboxBatchBytes = 1_000_000

// write produces msgs in order: runs of messages that fit a batch through
// w, each larger one alone through big.
func (o *outbox) write(ctx context.Context, msgs []kafka.Message) error {
	for len(msgs) > 0 {
		n := 0
		for n < len(msgs) && !oversized(&msgs[n]) {
			n++
		}
		w := o.w
		if n == 0 {
			w, n = o.big, 1
		}
		if err := w.WriteMessages(ctx, msgs[:n]...); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

// oversized reports whether kafka-go would refuse m in a batch of
// outboxBatchBytes (its size estimate plus room for the record framing).
func oversized(m *kafka.Message) bool {
	n := len(m.Key) + len(m.Value) + 64
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 16
	}
	return n > outboxBatchBytes
}

func (o *outbox) close() {
	o.w.Close()
	o.big.Close()
}

// sourceHeader identifies the input record so consumers of the output topics
// can drop duplicates after a replay.
func sourceHeader(msg *kafka.Message) kafka.Header {
	return kafka.Header{Key: "safeharbor-source",
		Value: []byte(msg.Topic + "/" + strconv.Itoa(msg.Partition) + "/" + strconv.FormatInt(msg.Offset, 10))}
}

// outputMessage is the de-identified record for an output topic, keyed by the
// patient pseudonym so a patient's messages stay in order.
func outputMessage(topic string, msg *kafka.Message, j *job) kafka.Message {
	return kafka.Message{Topic: topic, Key: []byte(j.pseudonym), Value: j.out, Headers: []kafka.Header{sourceHeader(msg)}}
}

// DLQNotice is the JSON value of a DLQ topic message: where the bad record is
// and why, never what it holds. The record itself is in the vault's dlq/ area.
type DLQNotice struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Class     string `json:"class"`
	Reason    string `json:"reason,omitempty"` // PHI-free detail (leak guard: category, source and output field)
	Format    string `json:"format"`
	Size      int    `json:"size"`
	Time      string `json:"time"`
}

func dlqNotice(topic string, msg *kafka.Message, j *job) kafka.Message {
	b, _ := json.Marshal(DLQNotice{
		Topic: msg.Topic, Partition: msg.Partition, Offset: msg.Offset, Class: j.class, Reason: j.reason,
		Format: j.format.String(), Size: len(msg.Value), Time: time.Now().UTC().Format(time.RFC3339Nano),
	})
	return kafka.Message{Topic: topic, Key: []byte(msg.Topic + "/" + strconv.Itoa(msg.Partition)), Value: b,
		Headers: []kafka.Header{sourceHeader(msg)}}
}

// kafkaWriteError reduces a producer error to its class: the de-identified
// records are not PHI, but a write error is logged and kept no closer to
// message content than a Kafka error title, a count or a Go type.
func kafkaWriteError(err error) error {
	var ke kafka.Error
	var we kafka.WriteErrors
	switch {
	case errors.As(err, &we):
		for _, e := range we {
			if e != nil && errors.As(e, &ke) {
				return fmt.Errorf("output topic: %d of %d writes failed (%s)", we.Count(), len(we), ke.Title())
			}
		}
		return fmt.Errorf("output topic: %d of %d writes failed", we.Count(), len(we))
	case errors.As(err, &ke):
		return fmt.Errorf("output topic: %s", ke.Title())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("output topic: %w", err)
	}
	return fmt.Errorf("output topic: write failed (%T)", err)
}
