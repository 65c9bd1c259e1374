package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/store"
)

func TestMain(m *testing.M) { os.Exit(miniotest.Main(m)) }

type backend struct {
	name string
	open func(t *testing.T) store.Store
}

func backends() []backend {
	return []backend{
		{"local", func(t *testing.T) store.Store {
			l, err := store.NewLocal(filepath.Join(t.TempDir(), "objs"))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"minio", func(t *testing.T) store.Store {
			s := miniotest.Shared(t)
			st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, false),
				AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: s.CAFile})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			return st
		}},
	}
}

var contract = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"PutGetStat", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		data := []byte("hello world")
		if err := s.Put(ctx, "a/b/c.bin", data, store.PutOptions{Metadata: map[string]string{"Kind": "segment", "n": "3"}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "a/b/c.bin")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get = %q, %v", got, err)
		}
		in, err := s.Stat(ctx, "a/b/c.bin")
		if err != nil {
			t.Fatal(err)
		}
		if in.Name != "a/b/c.bin" || in.Size != int64(len(data)) || in.Modified.IsZero() {
			t.Fatalf("stat = %+v", in)
		}
		if in.Metadata["kind"] != "segment" || in.Metadata["n"] != "3" {
			t.Fatalf("metadata = %v", in.Metadata)
		}
	}},
	{"Replace", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, v := range []string{"one", "two-longer"} {
			if err := s.Put(ctx, "r", []byte(v), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, "r")
		if err != nil || string(got) != "two-longer" {
			t.Fatalf("get = %q, %v", got, err)
		}
	}},
	{"EmptyObject", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		if err := s.Put(ctx, "e", nil, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "e")
		if err != nil || len(got) != 0 {
			t.Fatalf("get = %q, %v", got, err)
		}
	}},
	{"GetRange", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		data := []byte("0123456789abcdef")
		if err := s.Put(ctx, "rng", data, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ off, n int64 }{{0, 1}, {3, 4}, {15, 1}, {0, 16}, {16, 0}} {
			got, err := s.GetRange(ctx, "rng", c.off, c.n)
			if err != nil || !bytes.Equal(got, data[c.off:c.off+c.n]) {
				t.Fatalf("range %d+%d = %q, %v", c.off, c.n, got, err)
			}
		}
		for _, c := range []struct{ off, n int64 }{{10, 7}, {16, 1}, {40, 2}, {-1, 2}, {0, -1}} {
			if _, err := s.GetRange(ctx, "rng", c.off, c.n); !errors.Is(err, store.ErrRange) {
				t.Fatalf("range %d+%d: want ErrRange, got %v", c.off, c.n, err)
			}
		}
		if _, err := s.GetRange(ctx, "missing", 0, 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("range of missing: %v", err)
		}
	}},
	{"NotFound", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		if _, err := s.Get(ctx, "nope/x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get: %v", err)
		}
		if _, err := s.Stat(ctx, "nope/x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("stat: %v", err)
		}
		if err := s.Delete(ctx, "nope/x"); err != nil {
			t.Fatalf("delete missing: %v", err)
		}
	}},
	{"Delete", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		if err := s.Put(ctx, "d/x", []byte("1"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "d/x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if err := s.Put(ctx, "d/x", []byte("2"), store.PutOptions{}); err != nil {
			t.Fatalf("put after delete: %v", err)
		}
	}},
	{"ListOrderAndPrefix", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		names := []string{"p/b/2", "p/a", "p/b/1", "p-c", "q/z", "p/aa"}
		for _, n := range names {
			if err := s.Put(ctx, n, []byte(n), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		list := func(prefix string) []string {
			var out []string
			if err := s.List(ctx, prefix, func(in store.Info) error {
				if in.Size != int64(len(in.Name)) {
					t.Errorf("%s size %d", in.Name, in.Size)
				}
				out = append(out, in.Name)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		for _, c := range []struct{ prefix, want string }{
			{"", "p-c p/a p/aa p/b/1 p/b/2 q/z"},
			{"p/", "p/a p/aa p/b/1 p/b/2"},
			{"p/a", "p/a p/aa"},
			{"p/b/", "p/b/1 p/b/2"},
			{"p", "p-c p/a p/aa p/b/1 p/b/2"},
			{"zz/", ""},
		} {
			if got := strings.Join(list(c.prefix), " "); got != c.want {
				t.Errorf("list %q = %q, want %q", c.prefix, got, c.want)
			}
		}
		stop := errors.New("stop")
		n := 0
		err := s.List(ctx, "", func(store.Info) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("callback error not propagated: %v after %d", err, n)
		}
	}},
	{"Create", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c, ok := s.(store.Creator)
		if !ok {
			t.Fatal("backend does not implement Creator")
		}
		if err := c.Create(ctx, "k/1", []byte("first"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, "k/1", []byte("second"), store.PutOptions{}); !errors.Is(err, store.ErrExists) {
			t.Fatalf("second create: want ErrExists, got %v", err)
		}
		got, _ := s.Get(ctx, "k/1")
		if string(got) != "first" {
			t.Fatalf("create overwrote: %q", got)
		}
		// Concurrent creates: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c.Create(ctx, "k/race", []byte(fmt.Sprint(i)), store.PutOptions{}) == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent creates won, want 1", wins)
		}
	}},
	{"InvalidNames", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, n := range []string{"", "/abs", "../x", "a/../b", "a//b", "a/./b", "a/", ".hidden", "a/.tmp-x", "a\\b", "a\x00b"} {
			if err := s.Put(ctx, n, []byte("x"), store.PutOptions{}); !errors.Is(err, store.ErrInvalidName) {
				t.Errorf("put %q: want ErrInvalidName, got %v", n, err)
			}
			if _, err := s.Get(ctx, n); !errors.Is(err, store.ErrInvalidName) {
				t.Errorf("get %q: want ErrInvalidName, got %v", n, err)
			}
		}
		if err := s.List(ctx, "../", func(store.Info) error { return nil }); !errors.Is(err, store.ErrInvalidName) {
			t.Errorf("list ../: %v", err)
		}
	}},
	{"ContextCancelled", func(t *testing.T, s store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Put(ctx, "c", []byte("x"), store.PutOptions{}); err == nil {
			t.Fatal("put with cancelled context succeeded")
		}
	}},
}

func TestContract(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) { c.fn(t, b.open(t)) })
			}
		})
	}
}

func TestLocalPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v")
	l, err := store.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(context.Background(), "x/y", []byte("z"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "x"): 0o700, filepath.Join(dir, "x", "y"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %#o, want %#o", p, fi.Mode().Perm(), want)
		}
	}
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o755)
	_, err = store.NewLocal(open)
	if err == nil || !strings.Contains(err.Error(), "0755") || !strings.Contains(err.Error(), open) {
		t.Fatalf("group/world-readable dir: want clear error naming dir and mode, got %v", err)
	}
}

func TestLocalNoTempLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v")
	l, _ := store.NewLocal(dir)
	ctx := context.Background()
	for i := range 20 {
		if err := l.Put(ctx, "a/b", []byte(fmt.Sprint(i)), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(ents) != 1 {
		t.Fatalf("dir holds %d entries, want 1 (temp files left behind?)", len(ents))
	}
	if err := l.Put(ctx, "a/b/c", []byte("x"), store.PutOptions{}); err == nil || !strings.Contains(err.Error(), "conflicts") {
		t.Fatalf("object/dir conflict: %v", err)
	}
}

func TestS3ConfigRedacts(t *testing.T) {
	c := store.S3Config{Endpoint: "h:9000", Bucket: "b", AccessKey: "AKIAVERYSECRET", SecretKey: "s3cr3t-value"}
	for _, s := range []string{c.String(), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "AKIAVERYSECRET") || strings.Contains(s, "s3cr3t-value") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	if _, err := store.NewS3(store.S3Config{Endpoint: "https://h", Bucket: "b", AccessKey: "a", SecretKey: "s"}); err == nil {
		t.Fatal("scheme in endpoint accepted")
	}
	if _, err := store.NewS3(store.S3Config{Endpoint: "h", Bucket: "b"}); err == nil {
		t.Fatal("missing credentials accepted")
	}
}

func TestS3RetentionAndVersionedDelete(t *testing.T) {
	s := miniotest.Shared(t)
	ctx := context.Background()
	st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, true),
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: s.CAFile, RetentionMode: "GOVERNANCE"})
	if err != nil {
		t.Fatal(err)
	}
	if !st.RetentionSupported() {
		t.Fatal("object-lock bucket: RetentionSupported false")
	}
	if err := st.Put(ctx, "worm", []byte("x"), store.PutOptions{RetainUntil: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "worm"); err == nil {
		t.Fatal("delete of a retained object succeeded")
	}
	// Without retention, Delete removes every version (no delete-marker leftovers).
	for _, v := range []string{"1", "2"} {
		if err := st.Put(ctx, "plain", []byte(v), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	cl := s.Client(t)
	n := 0
	for oi := range cl.ListObjects(ctx, bucketOf(t, st, s), listAllVersions("plain")) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		n++
	}
	if n != 0 {
		t.Fatalf("%d versions of a deleted object remain", n)
	}
	plainBucket, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, false),
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if plainBucket.RetentionSupported() {
		t.Fatal("bucket without object lock: RetentionSupported true")
	}
}

func TestS3WrongCARefused(t *testing.T) {
	s := miniotest.Shared(t)
	other := miniotest.Start(t) // a second server with its own CA
	st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: s.NewBucket(t, false),
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: other.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := st.Put(ctx, "x", []byte("x"), store.PutOptions{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("put through untrusted CA: %v", err)
	}
}
