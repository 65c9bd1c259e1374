package vault_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// BenchmarkVaultMinIO writes 1 KB records to real MinIO through the batching Writer
// (default bounds: 8 MiB / 10000 records per segment, MaxInFlight segments in flight).
// "patients" is the number of distinct pseudonyms cycling through the stream: every
// segment writes its object and one pseudonym index object, and the first segments
// also one key object per key shard gaining new patients.
func BenchmarkVaultMinIO(b *testing.B) {
	s := miniotest.Shared(b)
	for _, patients := range []int{100, 10000} {
		b.Run(fmt.Sprintf("patients=%d", patients), func(b *testing.B) {
			st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(b, false),
				AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: s.CAFile})
			if err != nil {
				b.Fatal(err)
			}
			v := newVault(b, st, keyring(b, "k1"))
			w := v.NewWriter(vault.WriterConfig{MaxAge: time.Hour})
			ctx := context.Background()
			data := make([]byte, 1024)
			for i := range data {
				data[i] = byte('a' + i%26)
			}
			ps := make([]string, patients)
			for i := range ps {
				ps[i] = fmt.Sprintf("p%08x", i*2654435761)
			}
			now := time.Now()
			b.SetBytes(1024)
			b.ResetTimer()
			for i := range b.N {
				if _, err := w.Write(ctx, vault.Record{Source: "bench", Offset: int64(i), Pseudonym: ps[i%patients],
					MessageType: "ADT^A01", Time: now, Data: data}); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := w.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
