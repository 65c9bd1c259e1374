package vault_test

import (
	"context"
	"testing"

	"github.com/safeharbor/safeharbor/sinks/vault"
)

// TestDiscardFrom: segments a crashed owner wrote past the committed offset
// are deleted with their indexes; earlier ones, and other partitions, stay.
func TestDiscardFrom(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		v := newVault(t, e.st, keyring(t, "k1"))
		w := v.NewWriter(vault.WriterConfig{MaxRecords: 4})
		writeSample(t, v, w) // partition 3: segments 100-103, 104-107, 108-109; DLQ 110
		before, err := v.FindByPseudonym(ctx, "pA")
		if err != nil || len(before) != 5 {
			t.Fatalf("before: %d refs, %v", len(before), err)
		}
		if gone, err := v.DiscardFrom(ctx, "hl7.adt", 4, 0); err != nil || len(gone) != 0 {
			t.Fatalf("other partition: %v %v", gone, err)
		}
		gone, err := v.DiscardFrom(ctx, "hl7.adt", 3, 104)
		if err != nil {
			t.Fatal(err)
		}
		if len(gone) != 3 { // 104-107, 108-109 and the DLQ segment at 110
			t.Fatalf("deleted %v", gone)
		}
		after, err := v.FindByPseudonym(ctx, "pA")
		if err != nil || len(after) != 2 { // offsets 100 and 102 remain
			t.Fatalf("after: %d refs, %v", len(after), err)
		}
		for _, r := range after {
			rec, err := v.OpenRef(ctx, r)
			if err != nil || rec.Offset >= 104 {
				t.Fatalf("ref %+v: %v", rec.Offset, err)
			}
		}
	})
}
