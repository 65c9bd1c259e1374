// Package bench holds reproducible benchmarks of safeharbor against peer
// libraries. It is a separate module so that peers (lenaten/hl7,
// kardianos/hl7) and plotting code never enter the main module.
//
// The HL7 benchmarks run every parser on the same messages: all messages of
// the shared corpus that safeharbor's hl7 package parses (CDC DEX JSON
// envelopes are skipped), plus seeded synthetic messages from internal/synth.
// Messages a peer rejects or misparses are counted and reported, and the
// timed sets hold only the messages that every parser accepts.
//
// Run `make bench` (full, with cmd/report writing RESULTS.md and PNG plots)
// or `make bench-quick`.
package bench
