package vault_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

func TestMain(m *testing.M) { os.Exit(miniotest.Main(m)) }

// Distinctive fake PHI, searched for on disk.
var phi = []string{"Zyxwvut Quimbleton", "555-867-5309", "Qwertzia Flumpkin", "MRN-77441199"}

func msg(name, phone string, i int) []byte {
	return fmt.Appendf(nil, "MSH|^~\\&|A|B|||20240101||ADT^A01|%d|P|2.5.1\rPID|1||MRN-77441199||%s||19800101|||||%s\r", i, name, phone)
}

type env struct {
	st      store.Store
	rawDirs []string // directories whose raw files must never hold plaintext
}

func backends(t *testing.T) map[string]func(t *testing.T) env {
	return map[string]func(t *testing.T) env{
		"local": func(t *testing.T) env {
			d := filepath.Join(t.TempDir(), "vault")
			l, err := store.NewLocal(d)
			if err != nil {
				t.Fatal(err)
			}
			return env{st: l, rawDirs: []string{d}}
		},
		"minio": func(t *testing.T) env {
			s := miniotest.Shared(t)
			st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, false),
				AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: s.CAFile})
			if err != nil {
				t.Fatal(err)
			}
			return env{st: st, rawDirs: []string{s.DataDir}}
		},
	}
}

func keyring(t testing.TB, ids ...string) *vault.Keyring {
	t.Helper()
	var keys [][]byte
	for range ids {
		k := make([]byte, 32)
		rand.Read(k)
		keys = append(keys, k)
	}
	kr, err := vault.NewKeyring(ids, keys)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newVault(t testing.TB, st store.Store, kr *vault.Keyring) *vault.Vault {
	t.Helper()
	v, err := vault.New(vault.Config{Store: st, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func eachBackend(t *testing.T, fn func(t *testing.T, e env)) {
	for _, name := range []string{"local", "minio"} {
		mk := backends(t)[name]
		t.Run(name, func(t *testing.T) { fn(t, mk(t)) })
	}
}

// writeSample stores 10 records: patients pA (even) and pB (odd), plus a DLQ record.
func writeSample(t *testing.T, v *vault.Vault, w *vault.Writer) []vault.FlushResult {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	var out []vault.FlushResult
	for i := range 10 {
		p, name, phone := "pA", phi[0], phi[1]
		if i%2 == 1 {
			p, name, phone = "pB", phi[2], "555-000-1111"
		}
		r, err := w.Write(ctx, vault.Record{Source: "hl7.adt", Partition: 3, Offset: int64(100 + i), Pseudonym: p,
			MessageType: "ADT^A01", Time: base.Add(time.Duration(i) * time.Minute), Data: msg(name, phone, i)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r...)
	}
	r, err := w.WriteDLQ(ctx, vault.Record{Source: "hl7.adt", Partition: 3, Offset: 110, Time: base,
		Data: []byte("garbage " + phi[0] + " " + phi[1])})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, r...)
	r, err = w.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, r...)
}

func TestRoundTripAndNoPlaintextOnDisk(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		v := newVault(t, e.st, keyring(t, "k1"))
		var cb []vault.FlushResult
		w := v.NewWriter(vault.WriterConfig{MaxRecords: 4, OnFlush: func(r vault.FlushResult) { cb = append(cb, r) }})
		res := writeSample(t, v, w)
		if len(res) != 4 || len(cb) != 4 { // 4+4+2 records, and one DLQ segment
			t.Fatalf("flushes: %d returned, %d callbacks", len(res), len(cb))
		}
		if res[0].Segment != "segments/hl7.adt/3/00000000000000000100-00000000000000000103.seg" {
			t.Fatalf("segment name %s", res[0].Segment)
		}
		if res[0].Watermark != 103 || res[0].Records != 4 || strings.Join(res[0].NewKeys, ",") != "pA,pB" {
			t.Fatalf("first flush %+v", res[0])
		}
		if wm, ok := w.Durable("hl7.adt", 3); !ok || wm != 110 {
			t.Fatalf("durable watermark %d %v", wm, ok)
		}
		refs, err := v.FindByPseudonym(ctx, "pA")
		if err != nil || len(refs) != 5 {
			t.Fatalf("find pA: %d refs, %v", len(refs), err)
		}
		for k, r := range refs {
			rec, err := v.OpenRef(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rec.Data, msg(phi[0], phi[1], 2*k)) || rec.Offset != int64(100+2*k) || rec.Pseudonym != "pA" ||
				rec.MessageType != "ADT^A01" || rec.Source != "hl7.adt" || rec.Partition != 3 {
				t.Fatalf("record %d: %+v", k, rec)
			}
		}
		dlq := res[3]
		if !dlq.DLQ || !strings.HasPrefix(dlq.Segment, "dlq/hl7.adt/3/") {
			t.Fatalf("dlq flush %+v", dlq)
		}
		rec, err := v.Open(ctx, dlq.Segment, 0)
		if err != nil || !strings.Contains(string(rec.Data), phi[0]) {
			t.Fatalf("dlq record: %v", err)
		}
		// No plaintext PHI in any raw file or object name.
		for _, d := range e.rawDirs {
			files := 0
			if err := miniotest.WalkFiles(d, func(p string, b []byte) {
				files++
				for _, s := range phi {
					if bytes.Contains(b, []byte(s)) || strings.Contains(p, s) {
						t.Errorf("plaintext %q found in %s", s, p)
					}
				}
			}); err != nil {
				t.Fatal(err)
			}
			if files == 0 {
				t.Fatalf("no files under %s", d)
			}
		}
		if err := e.st.List(ctx, "", func(in store.Info) error {
			st, err := e.st.Stat(ctx, in.Name)
			for k, v := range st.Metadata {
				for _, s := range phi {
					if strings.Contains(k+v, s) {
						t.Errorf("PHI in metadata of %s", in.Name)
					}
				}
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWrongKEK(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		v := newVault(t, e.st, keyring(t, "k1"))
		res := writeSample(t, v, v.NewWriter(vault.WriterConfig{}))
		// Same id, different key material.
		v2 := newVault(t, e.st, keyring(t, "k1"))
		_, err := v2.Open(ctx, res[0].Segment, 0)
		if !errors.Is(err, vault.ErrCorrupt) {
			t.Fatalf("same id, other key: want ErrCorrupt, got %v", err)
		}
		// Different id.
		v3 := newVault(t, e.st, keyring(t, "k9"))
		if _, err := v3.Open(ctx, res[0].Segment, 0); !errors.Is(err, vault.ErrUnknownKey) {
			t.Fatalf("other id: want ErrUnknownKey, got %v", err)
		}
		for _, s := range phi {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Fatal("PHI in error")
			}
		}
	})
}

func TestTamperDetected(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		kr := keyring(t, "k1")
		v := newVault(t, e.st, kr)
		res := writeSample(t, v, v.NewWriter(vault.WriterConfig{MaxRecords: 3}))
		seg := res[0].Segment
		orig, err := e.st.Get(ctx, seg)
		if err != nil {
			t.Fatal(err)
		}
		readAll := func() error {
			v := newVault(t, e.st, kr) // no cached index
			for i := range 3 {
				if _, err := v.Open(ctx, seg, i); err != nil {
					return err
				}
			}
			_, _, err := v.Verify(ctx, seg)
			return err
		}
		if err := readAll(); err != nil {
			t.Fatalf("untouched segment: %v", err)
		}
		step := 1
		if _, ok := e.st.(*store.S3); ok {
			step = 7 // fewer round trips on MinIO; still hits every region
		}
		for pos := 0; pos < len(orig); pos += step {
			bad := bytes.Clone(orig)
			bad[pos] ^= 0x01
			if err := e.st.Put(ctx, seg, bad, store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			err := readAll()
			if err == nil {
				t.Fatalf("flipped byte %d of %d not detected", pos, len(orig))
			}
			for _, s := range phi {
				if strings.Contains(err.Error(), s) {
					t.Fatal("PHI in error")
				}
			}
		}
		// Swapping in another segment's bytes under this name fails too (bound to the name).
		other, _ := e.st.Get(ctx, res[1].Segment)
		e.st.Put(ctx, seg, other, store.PutOptions{})
		if err := readAll(); !errors.Is(err, vault.ErrCorrupt) {
			t.Fatalf("moved segment: %v", err)
		}
	})
}

func TestEraseCryptoShreds(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		kr := keyring(t, "k1")
		v := newVault(t, e.st, kr)
		writeSample(t, v, v.NewWriter(vault.WriterConfig{}))
		refsA, _ := v.FindByPseudonym(ctx, "pA")
		before, _ := e.st.Get(ctx, refsA[0].Segment)
		er, err := v.Erase(ctx, "pA")
		if err != nil || !er.KeyDeleted || len(er.Segments) != 1 {
			t.Fatalf("erase: %+v %v", er, err)
		}
		after, _ := e.st.Get(ctx, refsA[0].Segment)
		if !bytes.Equal(before, after) {
			t.Fatal("erase rewrote the segment")
		}
		for _, vv := range []*vault.Vault{v, newVault(t, e.st, kr)} {
			for _, r := range refsA {
				if _, err := vv.OpenRef(ctx, r); !errors.Is(err, vault.ErrErased) {
					t.Fatalf("erased record: want ErrErased, got %v", err)
				}
			}
		}
		if refs, _ := v.FindByPseudonym(ctx, "pA"); len(refs) != 0 {
			t.Fatalf("erased patient still indexed: %d", len(refs))
		}
		refsB, _ := v.FindByPseudonym(ctx, "pB")
		if len(refsB) != 5 {
			t.Fatalf("pB refs %d", len(refsB))
		}
		for _, r := range refsB {
			if _, err := v.OpenRef(ctx, r); err != nil {
				t.Fatalf("other patient: %v", err)
			}
		}
		n, erased, err := v.Verify(ctx, refsA[0].Segment)
		if err != nil || n != 10 || erased != 5 {
			t.Fatalf("verify after erase: %d %d %v", n, erased, err)
		}
	})
}

func TestRotate(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		k1 := keyring(t, "k1")
		v1 := newVault(t, e.st, k1)
		res1 := writeSample(t, v1, v1.NewWriter(vault.WriterConfig{}))
		// Add k2 (newest): old data readable, new data wrapped with k2.
		k12 := appendKey(t, k1, "k2")
		v2 := newVault(t, e.st, k12)
		w := v2.NewWriter(vault.WriterConfig{})
		if _, err := w.Write(ctx, vault.Record{Source: "hl7.adt", Partition: 3, Offset: 500, Pseudonym: "pC", Time: time.Now(), Data: []byte("new " + phi[3])}); err != nil {
			t.Fatal(err)
		}
		res2, err := w.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v2.Open(ctx, res1[0].Segment, 0); err != nil {
			t.Fatalf("old data with k1+k2: %v", err)
		}
		rr, err := v2.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rr.KeyID != "k2" || strings.Join(rr.Keys, ",") != "pA,pB" || len(rr.Segments) != 2 {
			t.Fatalf("rotate: %+v", rr)
		}
		// Now only k2 is needed.
		v3 := newVault(t, e.st, onlyKey(t, k12, "k2"))
		for _, s := range []string{res1[0].Segment, res1[1].Segment, res2[0].Segment} {
			if n, _, err := v3.Verify(ctx, s); err != nil || n == 0 {
				t.Fatalf("after rotate %s: %d %v", s, n, err)
			}
		}
		if rr2, _ := v2.Rotate(ctx); len(rr2.Keys)+len(rr2.Segments) != 0 {
			t.Fatalf("second rotate did work: %+v", rr2)
		}
	})
}

func TestPurgeAndReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		v := newVault(t, e.st, keyring(t, "k1"))
		res := writeSample(t, v, v.NewWriter(vault.WriterConfig{MaxRecords: 5}))
		// Replay the same offsets with a new writer: same names, no duplicates.
		res2 := writeSample(t, v, v.NewWriter(vault.WriterConfig{MaxRecords: 5}))
		for i := range res {
			if res[i].Segment != res2[i].Segment {
				t.Fatalf("replay name %s != %s", res2[i].Segment, res[i].Segment)
			}
		}
		count := func(prefix string) int {
			n := 0
			e.st.List(ctx, prefix, func(store.Info) error { n++; return nil })
			return n
		}
		if c := count("segments/"); c != 2 {
			t.Fatalf("%d segments after replay, want 2", c)
		}
		if refs, _ := v.FindByPseudonym(ctx, "pA"); len(refs) != 5 {
			t.Fatalf("refs after replay %d", len(refs))
		}
		// Records are 12:00..12:09; purge before 12:05 removes the first segment only
		// (newest 12:04) and the DLQ segment (12:00).
		pr, err := v.Purge(ctx, time.Date(2024, 3, 1, 12, 4, 30, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.Segments) != 2 || pr.Records != 6 || pr.Segments[0] != res[0].Segment {
			t.Fatalf("purge %+v", pr)
		}
		if c := count("segments/"); c != 1 {
			t.Fatalf("%d segments after purge", c)
		}
		if refs, _ := v.FindByPseudonym(ctx, "pA"); len(refs) != 2 {
			t.Fatalf("refs after purge %d", len(refs))
		}
		if _, err := v.Open(ctx, res[0].Segment, 0); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("purged segment: %v", err)
		}
	})
}

func TestWriterValidation(t *testing.T) {
	l, _ := store.NewLocal(filepath.Join(t.TempDir(), "v"))
	v := newVault(t, l, keyring(t, "k1"))
	w := v.NewWriter(vault.WriterConfig{})
	ctx := context.Background()
	bad := []vault.Record{
		{Source: "", Offset: 1},
		{Source: "s", Offset: -1},
		{Source: "s", Pseudonym: "../x"},
		{Source: "s", Pseudonym: phi[0]},
		{Source: "s", MessageType: "ADT^A01 " + phi[0]},
	}
	for _, r := range bad {
		_, err := w.Write(ctx, r)
		if !errors.Is(err, vault.ErrInvalid) {
			t.Fatalf("%+v: want ErrInvalid, got %v", r, err)
		}
		for _, s := range phi {
			if strings.Contains(err.Error(), s) {
				t.Fatal("PHI in error")
			}
		}
	}
	if _, err := w.Write(ctx, vault.Record{Source: "s", Offset: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(ctx, vault.Record{Source: "s", Offset: 5}); !errors.Is(err, vault.ErrOffsetOrder) {
		t.Fatalf("repeated offset: %v", err)
	}
	if _, err := v.Open(ctx, "../etc/passwd", 0); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("bad segment name: %v", err)
	}
	if _, err := vault.New(vault.Config{Store: l}); !errors.Is(err, vault.ErrInvalid) {
		t.Fatalf("no keyring: %v", err)
	}
	if got := vault.SanitizeSource("a/b c"); strings.ContainsAny(got, "/ ") || got == vault.SanitizeSource("a_b_c") {
		t.Fatalf("sanitize: %q", got)
	}
}

func TestTimeBoundFlush(t *testing.T) {
	l, _ := store.NewLocal(filepath.Join(t.TempDir(), "v"))
	v := newVault(t, l, keyring(t, "k1"))
	now := time.Unix(1000, 0)
	w := v.NewWriter(vault.WriterConfig{MaxAge: time.Second, Now: func() time.Time { return now }})
	ctx := context.Background()
	w.Write(ctx, vault.Record{Source: "s", Offset: 1, Pseudonym: "p1", Data: []byte("x")})
	if r, _ := w.FlushDue(ctx); len(r) != 0 {
		t.Fatal("flushed too early")
	}
	if _, ok := w.Durable("s", 0); ok {
		t.Fatal("durable before flush")
	}
	now = now.Add(2 * time.Second)
	r, err := w.FlushDue(ctx)
	if err != nil || len(r) != 1 || r[0].Watermark != 1 {
		t.Fatalf("flush due: %+v %v", r, err)
	}
}

func appendKey(t *testing.T, kr *vault.Keyring, id string) *vault.Keyring {
	t.Helper()
	text := exportKeyring(kr)
	k := make([]byte, 32)
	rand.Read(k)
	text += id + ":" + base64.StdEncoding.EncodeToString(k) + "\n"
	out, err := vault.ParseKeyring([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func onlyKey(t *testing.T, kr *vault.Keyring, id string) *vault.Keyring {
	t.Helper()
	for _, l := range strings.Split(exportKeyring(kr), "\n") {
		if strings.HasPrefix(l, id+":") {
			out, err := vault.ParseKeyring([]byte(l))
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatal("no key " + id)
	return nil
}

func exportKeyring(kr *vault.Keyring) string { return vault.ExportKeyringForTest(kr) }

// Two writers (as two processes would) race to create data keys for the same new
// patients: the key log's If-None-Match generations make them agree on one key per
// patient, so every record of both reads back through a fresh Vault.
func TestConcurrentKeyCreationAgrees(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		kr := keyring(t, "k1")
		const patients = 300
		errs := make(chan error, 2)
		for wi := range 2 {
			v := newVault(t, e.st, kr)
			go func() {
				w := v.NewWriter(vault.WriterConfig{MaxRecords: 50})
				for i := range patients {
					if _, err := w.Write(ctx, vault.Record{Source: fmt.Sprintf("w%d", wi), Offset: int64(i),
						Pseudonym: fmt.Sprintf("p%04d", (i*7+wi*13)%patients), Data: []byte("x")}); err != nil {
						errs <- err
						return
					}
				}
				_, err := w.Flush(ctx)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		v := newVault(t, e.st, kr)
		for _, p := range []string{"p0000", "p0123", "p0299"} {
			refs, err := v.FindByPseudonym(ctx, p)
			if err != nil || len(refs) != 2 {
				t.Fatalf("%s: %d refs, %v", p, len(refs), err)
			}
		}
		for _, src := range []string{"w0", "w1"} {
			for first := int64(0); first < patients; first += 50 {
				seg := vault.SegmentName(false, src, 0, first, first+49)
				if n, erased, err := v.Verify(ctx, seg); err != nil || n != 50 || erased != 0 {
					t.Fatalf("%s: %d records, %d erased, %v", seg, n, erased, err)
				}
			}
		}
	})
}

// The writer keeps several segments in flight and reports them in offset order with
// watermarks that never run ahead of an unreported segment.
func TestPipelinedOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		v := newVault(t, e.st, keyring(t, "k1"))
		var got []vault.FlushResult
		w := v.NewWriter(vault.WriterConfig{MaxRecords: 10, MaxInFlight: 3, OnFlush: func(r vault.FlushResult) { got = append(got, r) }})
		for i := range 200 {
			if _, err := w.Write(ctx, vault.Record{Source: "s", Partition: int32(i % 2), Offset: int64(i / 2), Pseudonym: fmt.Sprintf("p%d", i%17), Data: []byte("d")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 20 {
			t.Fatalf("%d flushes", len(got))
		}
		last := map[int32]int64{0: -1, 1: -1}
		for _, r := range got {
			if r.FirstOffset != last[r.Partition]+1 || r.Watermark > r.LastOffset && r.LastOffset != 99 {
				t.Fatalf("out of order: %+v after %d", r, last[r.Partition])
			}
			if r.Watermark < r.LastOffset {
				t.Fatalf("watermark %d below durable %d", r.Watermark, r.LastOffset)
			}
			last[r.Partition] = r.LastOffset
		}
		if wm, ok := w.Durable("s", 1); !ok || wm != 99 {
			t.Fatalf("durable %d %v", wm, ok)
		}
	})
}

// Many flushes that each add a patient make a shard compact itself into a snapshot;
// every key survives and the number of key objects stays bounded.
func TestKeyShardCompaction(t *testing.T) {
	defer vault.SetMaxKeyGensForTest(3)()
	eachBackend(t, func(t *testing.T, e env) {
		ctx := context.Background()
		kr := keyring(t, "k1")
		v := newVault(t, e.st, kr)
		w := v.NewWriter(vault.WriterConfig{MaxRecords: 1})
		const n = 120
		for i := range n {
			if _, err := w.Write(ctx, vault.Record{Source: "s", Offset: int64(i), Pseudonym: fmt.Sprintf("q%03d", i), Data: []byte("d")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		objs := 0
		e.st.List(ctx, "keys/", func(store.Info) error { objs++; return nil })
		if objs > 16*4 {
			t.Fatalf("%d key objects after compaction", objs)
		}
		v2 := newVault(t, e.st, kr)
		for i := range n {
			seg := vault.SegmentName(false, "s", 0, int64(i), int64(i))
			if _, err := v2.Open(ctx, seg, 0); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
	})
}

// flaky fails every Put of a segment while fail is set.
type flaky struct {
	store.Store
	fail atomic.Bool
}

func (f *flaky) Put(ctx context.Context, name string, data []byte, opts store.PutOptions) error {
	if f.fail.Load() && strings.HasSuffix(name, ".seg") && !strings.HasPrefix(name, "index/") {
		return errors.New("injected outage")
	}
	return f.Store.Put(ctx, name, data, opts)
}

// A failed background upload is reported by the next call, the record offered with
// it is not taken, the watermark does not pass the failed segment, and the segment
// is retried until it lands.
func TestPipelinedUploadFailure(t *testing.T) {
	l, _ := store.NewLocal(filepath.Join(t.TempDir(), "v"))
	f := &flaky{Store: l}
	v := newVault(t, f, keyring(t, "k1"))
	w := v.NewWriter(vault.WriterConfig{MaxRecords: 2})
	ctx := context.Background()
	f.fail.Store(true)
	for i := range 2 {
		if _, err := w.Write(ctx, vault.Record{Source: "s", Offset: int64(i), Pseudonym: "p", Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Flush(ctx); err == nil {
		t.Fatal("flush during outage succeeded")
	}
	if _, ok := w.Durable("s", 0); ok {
		t.Fatal("durable during outage")
	}
	f.fail.Store(false)
	res, err := w.Flush(ctx)
	for try := 0; err != nil && try < 3; try++ { // the retry started during the outage may have failed
		res, err = w.Flush(ctx)
	}
	if len(res) != 1 || res[0].Watermark != 1 {
		t.Fatalf("after outage: %+v", res)
	}
	if _, err := v.Open(ctx, res[0].Segment, 1); err != nil {
		t.Fatal(err)
	}
}
