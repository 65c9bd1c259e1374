// Package audit keeps the append-only, tamper-evident audit trail of every PHI
// write, read, erase and key operation: a keyed (HMAC-SHA256) hash chain of JSON
// Lines records stored in a local file or as WORM objects in a store.Store,
// with a signed checkpoint so that truncation of the tail is detected.
//
// Records never contain PHI values: callers pass pseudonyms or opaque ids as
// record ids and only non-PHI detail fields.
package audit
