package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/store"
)

func TestMain(m *testing.M) { os.Exit(miniotest.Main(m)) }

// exerciseStore appends, reopens, verifies, then overwrites a batch and
// expects the edit to be found.
func exerciseStore(t *testing.T, st store.Store) {
	t.Helper()
	key := testKey(t, 11)
	l, err := OpenStore(ctx, st, key, Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := l.Append(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.AppendBatch(ctx, []Event{ev(4), ev(5)}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = OpenStore(ctx, st, key, Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := l.Append(ctx, ev(6)); err != nil || r.Seq != 6 {
		t.Fatalf("append after reopen: %d %v", r.Seq, err)
	}
	if sum, err := l.Verify(ctx); err != nil || sum.LastSeq != 6 {
		t.Fatalf("verify %+v %v", sum, err)
	}
	// An attacker with write access to the bucket rewrites a batch.
	name := BatchObjectName(4, 5)
	data, err := st.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, name, bytes.Replace(data, []byte("PSN-0004"), []byte("PSN-0444"), 1), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = l.Verify(ctx)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Kind != KindEdited || ve.Source != name || ve.Line != 1 || ve.Seq != 4 {
		t.Fatalf("overwrite not found: %v", err)
	}
	if _, err := OpenStore(ctx, st, key, Options{}); !errors.As(err, &ve) {
		t.Fatalf("tampered log opened: %v", err)
	}
}

func TestLocalStoreBackend(t *testing.T) {
	st, err := store.NewLocal(filepath.Join(t.TempDir(), "objs"))
	if err != nil {
		t.Fatal(err)
	}
	exerciseStore(t, st)
}

func TestMinIOObjectLock(t *testing.T) {
	s := miniotest.Shared(t)
	bucket := s.NewBucket(t, true)
	st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: bucket, AccessKey: s.AccessKey,
		SecretKey: s.SecretKey, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if !st.RetentionSupported() {
		t.Fatal("object-lock bucket reports no retention support")
	}
	key := testKey(t, 12)
	l, err := OpenStore(ctx, st, key, Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendBatch(ctx, []Event{ev(1), ev(2)}); err != nil {
		t.Fatal(err)
	}
	name := BatchObjectName(1, 2)
	mode, until, err := s.Client(t).GetObjectRetention(ctx, bucket, name, "")
	if err != nil {
		t.Fatal(err)
	}
	if mode == nil || *mode != minio.Compliance || until == nil || until.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("retention of %s: %v until %v", name, mode, until)
	}
	// WORM: the batch cannot be deleted.
	if err := st.Delete(ctx, name); err == nil {
		t.Fatal("deleted a retained audit batch")
	}
	if _, err := st.Get(ctx, name); err != nil {
		t.Fatalf("batch gone after refused delete: %v", err)
	}
	if _, err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	st2, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, true), AccessKey: s.AccessKey,
		SecretKey: s.SecretKey, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	exerciseStore(t, st2)
}

// Anchors in a real object-lock bucket are retained in compliance mode: they
// cannot be deleted, so a rolled-back log is detected even by whoever owns the
// log's files.
func TestMinIOAnchorWORM(t *testing.T) {
	s := miniotest.Shared(t)
	bucket := s.NewBucket(t, true)
	st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: bucket, AccessKey: s.AccessKey,
		SecretKey: s.SecretKey, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	a := &StoreAnchor{Store: st, Retention: time.Hour, RequireLock: true}
	key := testKey(t, 26)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	appendN(t, path, key, a, 1, 2)
	backup := filepath.Join(dir, "old")
	copyFile(t, path, backup)
	copyFile(t, CheckpointPath(path), backup+".head")
	appendN(t, path, key, a, 3, 2)
	ents, err := a.List(ctx)
	if err != nil || len(ents) < 2 {
		t.Fatalf("anchors %d %v", len(ents), err)
	}
	for _, e := range ents {
		mode, until, err := s.Client(t).GetObjectRetention(ctx, bucket, e.Name, "")
		if err != nil || mode == nil || *mode != minio.Compliance || until == nil || until.Before(time.Now().Add(50*time.Minute)) {
			t.Fatalf("retention of %s: %v %v %v", e.Name, mode, until, err)
		}
		if err := st.Delete(ctx, e.Name); err == nil {
			t.Fatalf("deleted anchor %s", e.Name)
		}
	}
	copyFile(t, backup, path)
	copyFile(t, backup+".head", CheckpointPath(path))
	_, _, err = VerifyFile(ctx, path, key, a)
	wantKind(t, err, KindRolledBack)
	// A bucket without object lock is refused for anchors that require it.
	plain, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, false), AccessKey: s.AccessKey,
		SecretKey: s.SecretKey, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&StoreAnchor{Store: plain, RequireLock: true}).Put(ctx, key.signCheckpoint(0, "")); err == nil {
		t.Fatal("anchor written to a bucket without object lock")
	}
}
