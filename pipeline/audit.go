package pipeline

import (
	"context"
	"sync"

	"github.com/safeharbor/safeharbor/sinks/vault"
)

// VaultAuditor records the vault segments (originals and DLQ records) the
// pipeline wrote, batched per flush and free of PHI. sinks/access.Guard
// implements it.
type VaultAuditor interface {
	AuditVaultWrites(ctx context.Context, segs []vault.FlushResult) error
}

// auditQueue holds the segments stored since the last checkpoint until they
// are audited. The checkpoint audits them before it commits any offset, so a
// segment whose write was not audited is replayed (same name, same content)
// and audited then: no committed vault write is missing from the trail.
type auditQueue struct {
	a       VaultAuditor
	mu      sync.Mutex
	pending []vault.FlushResult
}

// add queues a stored segment (called from the vault writer's OnFlush).
func (q *auditQueue) add(r vault.FlushResult) {
	if q == nil || q.a == nil {
		return
	}
	r.Pseudonyms, r.NewKeys = append([]string(nil), r.Pseudonyms...), append([]string(nil), r.NewKeys...)
	q.mu.Lock()
	q.pending = append(q.pending, r)
	q.mu.Unlock()
}

// commit audits every queued segment; on failure they stay queued (and the
// checkpoint fails, so no offset is committed).
func (q *auditQueue) commit(ctx context.Context) error {
	if q == nil || q.a == nil {
		return nil
	}
	q.mu.Lock()
	segs := q.pending
	q.pending = nil
	q.mu.Unlock()
	if len(segs) == 0 {
		return nil
	}
	if err := q.a.AuditVaultWrites(ctx, segs); err != nil {
		q.mu.Lock()
		q.pending = append(segs, q.pending...)
		q.mu.Unlock()
		return err
	}
	return nil
}
