package access

import (
	"context"
	"strconv"

	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// The audit entities of vault writes by the pipeline.
const (
	// EntitySegment is a segment of originals (record id: the segment name).
	EntitySegment = "vault.segment"
	// EntityDLQ is a segment of bad records kept in the vault's dlq/.
	EntityDLQ = "vault.dlq"
)

// VaultWriteEvents returns one audit event per vault segment written: batched
// per flush (never per record or byte of PHI) and free of PHI. The record id
// is the segment name (source, partition, offsets); the segment's pseudonyms
// are listed in the vault's index/<segment> object, counted here.
func VaultWriteEvents(segs []vault.FlushResult) []audit.Event {
	evs := make([]audit.Event, 0, len(segs))
	for _, s := range segs {
		entity := EntitySegment
		if s.DLQ {
			entity = EntityDLQ
		}
		evs = append(evs, audit.Event{Entity: entity, RecordID: s.Segment, Action: audit.ActionCreate,
			Outcome: audit.OutcomeAllowed, Detail: map[string]string{
				"partition":    strconv.Itoa(int(s.Partition)),
				"first_offset": strconv.FormatInt(s.FirstOffset, 10),
				"last_offset":  strconv.FormatInt(s.LastOffset, 10),
				"records":      itoa(s.Records),
				"bytes":        strconv.FormatInt(s.Bytes, 10),
				"pseudonyms":   itoa(len(s.Pseudonyms)),
				"new_keys":     itoa(len(s.NewKeys)),
			}})
	}
	return evs
}

// AuditVaultWrites durably records the vault segments a flush stored; the
// pipeline calls it before it commits their source offsets, so a write that
// was not audited is replayed (rewriting the same segment) and audited then.
func (g *Guard) AuditVaultWrites(ctx context.Context, segs []vault.FlushResult) error {
	if len(segs) == 0 {
		return nil
	}
	return g.Record(ctx, VaultWriteEvents(segs)...)
}
