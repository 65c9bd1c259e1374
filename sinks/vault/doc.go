// Package vault stores the identified original of every message, encrypted, so that
// it can be re-identified by pseudonym, crypto-shredded per patient, purged by age
// and re-keyed, on any store.Store.
//
// Keys. Key-encryption keys (KEKs) come from a keyring file (see LoadKeyring). Each
// patient pseudonym gets a random 256-bit data key (DEK) with a random 8-byte key id,
// wrapped with the newest KEK (AES-256-GCM, associated data = KEK id + pseudonym + key
// id). DEKs are kept in 16 shards (by a hash of the pseudonym); each shard is a log of
// key objects keys/<shard>/<generation>, created with If-None-Match so that processes
// racing to create a patient's key agree on one (see keys.go). A flush adds at most one
// object per shard that gains new patients. Erase writes a snapshot of the shard
// without the patient's key and deletes the older objects: every record of the patient
// becomes unreadable without rewriting any segment. Records without a pseudonym
// (unparseable input, DLQ) use a per-segment key wrapped in the segment header.
//
// Records. Each record is sealed with AES-256-GCM under its DEK, with associated data
// binding segment name, record index and pseudonym. Per-record GCM was chosen over sio
// DARE: records are small (~1 KB) and read one at a time by byte range, GCM gives that
// with 28 bytes of overhead and lets us bind our own associated data, while DARE is a
// stream format with 64 KiB packages and no caller-supplied associated data.
//
// Segments. A Writer batches records per source partition into one object
// segments/<source>/<partition>/<first offset:020>-<last offset:020>.seg (dlq/... for
// bad records), so a replay of the same offsets rewrites the same name. A segment is
//
//	"SHVSEG01" | u32 header length | u32 index length | header | sealed index | records
//
// The header (segment name, wrapped segment key, index nonce) is the associated data
// of the sealed index, which lists each record's byte range, source offset, pseudonym,
// message type, key ids and time; the index is encrypted because message times tied to
// a pseudonym are dates about a patient. One record is then one range GET. Next to each
// segment, index/<segment name> lists the segment's distinct pseudonyms (sorted), so a
// flush writes two objects whatever the number of patients, and FindByPseudonym reads
// only these small lists (cached) plus the segments that name the patient.
//
// FindByPseudonym therefore costs one small GET per segment not yet cached (re-
// identification is rare; writes are hot); a merged inverted index would bound it.
//
// Writing is pipelined: a Writer seals and uploads up to MaxInFlight segments in the
// background while it buffers the next ones, and reports them in order.
// Object names and metadata hold only pseudonyms, sources, partitions and offsets.
package vault
