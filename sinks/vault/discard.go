package vault

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// DiscardFrom deletes the segments (and their pseudonym indexes) of one
// source partition whose first offset is at or after from: what a previous
// owner wrote but never committed before it crashed. The new owner replays
// from the committed offset and writes those records again, perhaps with other
// segment boundaries, so deleting them first keeps exactly one copy of every
// record. It returns the segment names deleted (names carry no PHI).
func (v *Vault) DiscardFrom(ctx context.Context, source string, partition int32, from int64) ([]string, error) {
	var gone []string
	for _, area := range []string{"segments", "dlq"} {
		prefix := fmt.Sprintf("%s/%s/%d/", area, SanitizeSource(source), partition)
		var names []string
		err := v.st.List(ctx, prefix, func(in store.Info) error {
			first, ok := segmentFirst(strings.TrimPrefix(in.Name, prefix))
			if ok && first >= from && isSegmentName(in.Name) {
				names = append(names, in.Name)
			}
			return nil
		})
		if err != nil {
			return gone, fmt.Errorf("vault: listing %s: %w", prefix, err)
		}
		for _, n := range names {
			// the index first: a segment without index is found by no lookup,
			// an index without segment would point at nothing
			if err := v.st.Delete(ctx, indexName(n)); err != nil {
				return gone, fmt.Errorf("vault: deleting the index of %s: %w", n, err)
			}
			if err := v.st.Delete(ctx, n); err != nil {
				return gone, fmt.Errorf("vault: deleting %s: %w", n, err)
			}
			gone = append(gone, n)
		}
	}
	return gone, nil
}

// segmentFirst reads the first offset from "<first 20 digits>-<last>.seg".
func segmentFirst(base string) (int64, bool) {
	i := strings.IndexByte(base, '-')
	if i <= 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(base[:i], 10, 64)
	return n, err == nil
}
