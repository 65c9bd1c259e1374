// Package ingest receives HL7v2 messages over MLLP and acknowledges each one
// only once it is durable in Kafka.
//
// A Server accepts many concurrent MLLP connections (optionally TLS 1.2+),
// reads frames with hl7.MLLPReader, parses them with hl7.Parse and hands the
// exact received bytes to a Producer. The ACK follows hl7.ShouldAck/NewACK:
//
//   - AA (CA in enhanced mode) only after the broker acknowledged the record
//     with acks=all;
//   - AE (CE) when the produce failed or timed out: nothing was ACKed that was
//     not stored, and the sender should retry (delivery is at-least-once: a
//     write that timed out may still land, so a retry can duplicate it);
//   - AR (CR) for a frame that is not HL7v2 (no MSH, unparseable), a frame
//     with a start byte inside it, and a frame over the size limit (it would
//     never be accepted, so retrying is pointless; its MSA-2 is empty because
//     the oversized payload is discarded unread).
//
// Bytes outside any frame are logged and skipped without an ACK, since no
// message was sent. Each connection is handled sequentially — read, produce,
// wait for the broker, ACK — so ACKs and, for one connection, records on a
// partition keep the order in which messages arrived. Messages from
// different connections share produce batches (KafkaProducer batches
// concurrent writes), but every ACK waits for its own record.
//
// Record keys carry no PHI: with a key (Config.KeyHMAC) the key is a
// truncated HMAC-SHA256 of MSH-4 and PID-3.1, stable for a patient at a
// facility so that their records share a partition; without one, or when
// PID-3.1 is empty, the key is the connection id ("mllp-c<N>"), which keeps a
// connection's records on one partition and in order.
//
// Logs (log/slog) carry the connection id, remote address, message index and
// an error class, never message content or raw error text from the broker
// client. Counters are kept in Metrics for the pipeline's /metrics endpoint.
package ingest
