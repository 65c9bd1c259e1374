package dataset

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/sinks/store"
)

// DiscardFrom deletes the Parquet files of one dataset and source partition
// whose first offset is at or after from: files a previous owner wrote but
// never committed before it crashed. The new owner replays from the committed
// offset; files roll by size and time too, so the replay may cut files
// elsewhere, and deleting the old ones first keeps every row exactly once.
// It returns the object names deleted.
func DiscardFrom(ctx context.Context, st store.Store, name, source string, partition int32, from int64) ([]string, error) {
	prefix := "dataset=" + name + "/"
	want := fmt.Sprintf("part-%s-%d-", source, partition)
	var names []string
	err := st.List(ctx, prefix, func(in store.Info) error {
		base := in.Name[strings.LastIndexByte(in.Name, '/')+1:]
		rest, ok := strings.CutPrefix(base, want)
		// exactly "<first 20 digits>-<last 20 digits>.parquet": a topic named
		// "a-0" must not be taken for topic "a", partition 0
		if !ok || len(rest) != 20+1+20+len(".parquet") || rest[20] != '-' || !strings.HasSuffix(rest, ".parquet") {
			return nil
		}
		if first, err := strconv.ParseInt(rest[:20], 10, 64); err == nil && first >= from {
			names = append(names, in.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset %s: listing: %w", name, err)
	}
	for _, n := range names {
		if err := st.Delete(ctx, n); err != nil {
			return nil, fmt.Errorf("dataset %s: deleting %s: %w", name, n, err)
		}
	}
	return names, nil
}

// Name returns the dataset's name.
func (w *Writer) Name() string { return w.cfg.Name }
