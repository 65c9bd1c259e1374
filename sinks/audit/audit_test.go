package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

func writeKeyFile(t testing.TB, dir string, secret []byte) string {
	t.Helper()
	p := filepath.Join(dir, "audit.key")
	if err := os.WriteFile(p, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testKey(t testing.TB, fill byte) *Key {
	t.Helper()
	k, err := LoadKey(writeKeyFile(t, t.TempDir(), bytes.Repeat([]byte{fill}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ev(i int) Event {
	return Event{Actor: "svc-pipeline", Entity: "vault.record", RecordID: fmt.Sprintf("PSN-%04d", i),
		Action: ActionCreate, Client: "10.0.0.7:5500", Outcome: OutcomeAllowed,
		Detail: map[string]string{"rules_version": "v3", "n": fmt.Sprint(i)}}
}

// fixedClock returns a clock advancing by 1ms per call.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

// newFileLog makes a log with n records and returns its path.
func newFileLog(t *testing.T, key *Key, n int) string {
	t.Helper()
	return newFileLogClock(t, key, n, fixedClock())
}

func newFileLogClock(t *testing.T, key *Key, n int, clock func() time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := OpenFile(path, key, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		r, err := l.Append(ctx, ev(i))
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq != uint64(i) {
			t.Fatalf("seq %d, want %d", r.Seq, i)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	secret := bytes.Repeat([]byte{0xAB}, 32)
	p := writeKeyFile(t, dir, secret)
	k, err := LoadKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(k.String(), "abab") || strings.Contains(fmt.Sprint(k), "abab") {
		t.Fatal("key printed")
	}
	raw := filepath.Join(dir, "raw.key")
	os.WriteFile(raw, bytes.Repeat([]byte("k"), 40), 0o600)
	if _, err := LoadKey(raw); err != nil {
		t.Fatalf("raw key: %v", err)
	}
	cases := map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"group readable": {hex.EncodeToString(secret), 0o640, "permissions 0640"},
		"world readable": {hex.EncodeToString(secret), 0o604, "permissions 0604"},
		"short hex":      {hex.EncodeToString(secret[:31]), 0o600, "need at least 32"},
		"short raw":      {"tooshort", 0o600, "need at least 32"},
		"empty":          {"", 0o600, "need at least 32"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "k")
			os.WriteFile(p, []byte(c.content), 0o600)
			os.Chmod(p, c.mode)
			_, err := LoadKey(p)
			var ke *KeyError
			if !errors.As(err, &ke) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want KeyError containing %q", err, c.want)
			}
			if c.content != "" && strings.Contains(err.Error(), c.content) {
				t.Fatal("error reveals key material")
			}
		})
	}
	if _, err := LoadKey(""); err == nil || !strings.Contains(err.Error(), "no default key") {
		t.Fatalf("empty path: %v", err)
	}
	if _, err := LoadKey(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestIntactLogVerifiesAndReopens(t *testing.T) {
	key := testKey(t, 1)
	path := newFileLog(t, key, 20)
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("log mode %o", st.Mode().Perm())
	}
	st, _ = os.Stat(CheckpointPath(path))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint mode %o", st.Mode().Perm())
	}
	l, err := OpenFile(path, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err := l.Append(ctx, ev(21))
	if err != nil || r.Seq != 21 {
		t.Fatalf("append after reopen: seq %d err %v", r.Seq, err)
	}
	sum, err := l.Verify(ctx)
	if err != nil || sum.Records != 21 || sum.LastSeq != 21 {
		t.Fatalf("verify: %+v %v", sum, err)
	}
	// Every record has the five HIPAA columns plus the chain.
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for _, f := range []string{`"actor":"svc-pipeline"`, `"entity":"vault.record"`, `"record_id":"PSN-0001"`, `"action":"create"`, `"time":"2026-03-01T12:00:00.001Z"`, `"client":"10.0.0.7:5500"`, `"outcome":"allowed"`, `"prev":""`} {
		if !strings.Contains(lines[0], f) {
			t.Errorf("first record lacks %s: %s", f, lines[0])
		}
	}
}

func readLines(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(string(data), "\n")[:strings.Count(string(data), "\n")]
}

func verifyFile(t *testing.T, key *Key, path string, content string) error {
	t.Helper()
	cpb, err := os.ReadFile(CheckpointPath(path))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ParseCheckpoint(key, cpb)
	if err != nil {
		return err
	}
	_, err = Verify(strings.NewReader(content), key, cp)
	return err
}

func TestTamperingDetected(t *testing.T) {
	key := testKey(t, 2)
	other := testKey(t, 3)
	path := newFileLog(t, key, 10)
	lines := readLines(t, path) // lines[i] is seq i+1, with newline
	otherLines := readLines(t, newFileLogClock(t, key, 10, time.Now))
	join := func(ls ...string) string { return strings.Join(ls, "") }
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	forged := strings.Replace(lines[3], `"record_id":"PSN-0004"`, `"record_id":"PSN-9999"`, 1)
	cases := []struct {
		name     string
		content  string
		kind     Kind
		line     int
		seq      uint64
		useOther bool
	}{
		{"edit a field", join(cat(lines[:4], []string{strings.Replace(lines[4], "svc-pipeline", "svc-intruder", 1)}, lines[5:])...), KindEdited, 5, 5, false},
		{"delete a line", join(cat(lines[:4], lines[5:])...), KindDeleted, 5, 5, false},
		{"delete first line", join(lines[1:]...), KindDeleted, 1, 1, false},
		{"swap two lines", join(cat(lines[:3], []string{lines[4], lines[3]}, lines[5:])...), KindReordered, 4, 4, false},
		{"duplicate a line", join(cat(lines[:6], []string{lines[2]}, lines[6:])...), KindReordered, 7, 7, false},
		{"truncate the tail", join(lines[:7]...), KindTruncated, 8, 8, false},
		{"truncate mid-line", join(lines[:9]...) + lines[9][:40], KindTruncated, 10, 10, false},
		{"empty log", "", KindTruncated, 1, 1, false},
		{"insert a forged line", join(cat(lines[:3], []string{forged}, lines[3:])...), KindInserted, 4, 4, false},
		{"splice record from another log", join(cat(lines[:5], otherLines[5:6], lines[6:])...), KindBadHash, 6, 6, false},
		{"garbage line", join(cat(lines[:2], []string{"hello\n"}, lines[2:])...), KindUnparseable, 3, 3, false},
		{"wrong key", join(lines...), KindWrongKey, 0, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := key
			if c.useOther {
				k = other
			}
			var err error
			if c.useOther {
				_, err = Verify(strings.NewReader(c.content), k, nil)
			} else {
				err = verifyFile(t, k, path, c.content)
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *VerifyError", err)
			}
			if !errors.Is(err, ErrTampered) {
				t.Fatal("not ErrTampered")
			}
			if ve.Kind != c.kind || (!c.useOther && (ve.Line != c.line || ve.Seq != c.seq)) {
				t.Fatalf("got %v; want kind %q line %d seq %d", err, c.kind, c.line, c.seq)
			}
			if c.useOther && ve.Line != 1 {
				t.Fatalf("wrong key reported at line %d", ve.Line)
			}
		})
	}
	// The wrong key also fails against the checkpoint.
	cpb, _ := os.ReadFile(CheckpointPath(path))
	if _, err := ParseCheckpoint(other, cpb); err == nil {
		t.Fatal("checkpoint verified with the wrong key")
	}
	// Without the checkpoint a truncated tail cannot be seen: this is why it exists.
	if _, err := Verify(strings.NewReader(join(lines[:7]...)), key, nil); err != nil {
		t.Fatalf("prefix without checkpoint: %v", err)
	}
	// The intact log passes.
	if err := verifyFile(t, key, path, join(lines...)); err != nil {
		t.Fatal(err)
	}
}

// TestFlipAnyByte flips one bit of every byte of the log in turn; each is
// detected and reported at the line that holds the byte.
func TestFlipAnyByte(t *testing.T) {
	key := testKey(t, 4)
	path := newFileLog(t, key, 5)
	data, _ := os.ReadFile(path)
	lineOf := make([]int, len(data))
	ln := 1
	for i, c := range data {
		lineOf[i] = ln
		if c == '\n' {
			ln++
		}
	}
	for i := range data {
		mut := bytes.Clone(data)
		mut[i] ^= 0x01
		err := verifyFile(t, key, path, string(mut))
		var ve *VerifyError
		if !errors.As(err, &ve) {
			t.Fatalf("flip at byte %d not detected (err %v)", i, err)
		}
		if ve.Line != lineOf[i] {
			t.Fatalf("flip at byte %d (line %d) reported at line %d: %v", i, lineOf[i], ve.Line, err)
		}
	}
}

func TestOpenRefusesTamperedLog(t *testing.T) {
	key := testKey(t, 5)
	path := newFileLog(t, key, 5)
	lines := readLines(t, path)
	os.WriteFile(path, []byte(strings.Join(lines[:4], "")), 0o600)
	_, err := OpenFile(path, key, Options{})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Kind != KindTruncated {
		t.Fatalf("open truncated: %v", err)
	}
	os.Remove(CheckpointPath(path))
	if _, err := OpenFile(path, key, Options{}); !errors.As(err, &ve) || ve.Kind != KindBadCheckpoint {
		t.Fatalf("open without checkpoint: %v", err)
	}
	// A forged checkpoint (seq edited) is refused.
	path = newFileLog(t, key, 3)
	cpb, _ := os.ReadFile(CheckpointPath(path))
	os.WriteFile(CheckpointPath(path), bytes.Replace(cpb, []byte(`"seq":3`), []byte(`"seq":2`), 1), 0o600)
	if _, err := OpenFile(path, key, Options{}); !errors.As(err, &ve) || ve.Kind != KindBadCheckpoint {
		t.Fatalf("open with forged checkpoint: %v", err)
	}
	// A world-readable log file is refused.
	path = newFileLog(t, key, 1)
	os.Chmod(path, 0o644)
	if _, err := OpenFile(path, key, Options{}); err == nil || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("open world-readable: %v", err)
	}
}

func TestConcurrentAppends(t *testing.T) {
	key := testKey(t, 6)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := OpenFile(path, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const workers, per = 8, 40
	var mu sync.Mutex
	var seqs []uint64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if i%10 == 9 {
					rs, err := l.AppendBatch(ctx, []Event{ev(i), ev(i)})
					if err != nil {
						t.Error(err)
						return
					}
					if rs[1].Seq != rs[0].Seq+1 {
						t.Errorf("batch seqs %d,%d not consecutive", rs[0].Seq, rs[1].Seq)
					}
					mu.Lock()
					seqs = append(seqs, rs[0].Seq, rs[1].Seq)
					mu.Unlock()
					continue
				}
				r, err := l.Append(ctx, ev(i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seqs = append(seqs, r.Seq)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	want := workers * (per + per/10)
	if len(seqs) != want {
		t.Fatalf("%d seqs, want %d", len(seqs), want)
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("seq[%d] = %d: not consecutive", i, s)
		}
	}
	if sum, err := l.Verify(ctx); err != nil || sum.LastSeq != uint64(want) {
		t.Fatalf("verify: %+v %v", sum, err)
	}
	l.Close()
	if _, err := l.Append(ctx, ev(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

func TestEventValidationNeverEchoesValues(t *testing.T) {
	key := testKey(t, 7)
	l, err := OpenFile(filepath.Join(t.TempDir(), "a.jsonl"), key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	phi := "John Smith 555-12-3456"
	bad := []struct {
		mut   func(*Event)
		field string
	}{
		{func(e *Event) { e.Actor = "" }, "actor"},
		{func(e *Event) { e.Entity = "" }, "entity"},
		{func(e *Event) { e.RecordID = phi + "\n" }, "record_id"},
		{func(e *Event) { e.Action = "erase" }, "action"},
		{func(e *Event) { e.Outcome = "ok" }, "outcome"},
		{func(e *Event) { e.Action = ActionRead }, "reason"},
		{func(e *Event) { e.Emergency = true }, "reason"},
		{func(e *Event) { e.Detail = map[string]string{"Patient Name": phi} }, "detail"},
		{func(e *Event) { e.Detail = map[string]string{"note": strings.Repeat(phi, 20)} }, "detail.note"},
		{func(e *Event) { e.Client = phi + "\x00" }, "client"},
	}
	for i, b := range bad {
		e := ev(1)
		b.mut(&e)
		_, err := l.Append(ctx, e)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != b.field {
			t.Errorf("case %d: err %v, want field %s", i, err, b.field)
			continue
		}
		if strings.Contains(err.Error(), "John") || strings.Contains(err.Error(), "3456") {
			t.Errorf("case %d: error echoes a value: %v", i, err)
		}
	}
	if l.LastSeq() != 0 {
		t.Fatal("invalid events were recorded")
	}
	e := ev(1)
	e.Action, e.Reason, e.Emergency = ActionRead, "treatment: ED admission", true
	if _, err := l.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
}

func TestShow(t *testing.T) {
	key := testKey(t, 8)
	path := newFileLog(t, key, 5)
	l, err := OpenFile(path, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var buf bytes.Buffer
	if err := l.Show(&buf, time.Date(2026, 3, 1, 12, 0, 0, 3_000_000, time.UTC)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 3 || !strings.Contains(out, "#3 ") || strings.Contains(out, "#2 ") ||
		!strings.Contains(out, "vault.record/PSN-0005 by svc-pipeline from 10.0.0.7:5500") {
		t.Fatalf("show output:\n%s", out)
	}
}

func TestStoreLog(t *testing.T) {
	key := testKey(t, 9)
	ms := newMemStore()
	now := fixedClock()
	l, err := OpenStore(ctx, ms, key, Options{Now: now, Retention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := l.Append(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.AppendBatch(ctx, []Event{ev(4), ev(5), ev(6)}); err != nil {
		t.Fatal(err)
	}
	wantNames := []string{BatchObjectName(1, 1), BatchObjectName(2, 2), BatchObjectName(3, 3), BatchObjectName(4, 6)}
	if wantNames[3] != "audit/00000000000000000004-00000000000000000006.jsonl" {
		t.Fatalf("name %s", wantNames[3])
	}
	for _, n := range wantNames {
		o, ok := ms.Opts[n]
		if !ok {
			t.Fatalf("missing object %s", n)
		}
		if o.RetainUntil.IsZero() || o.RetainUntil.Before(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)) {
			t.Fatalf("%s retain until %v", n, o.RetainUntil)
		}
	}
	if _, ok := ms.Objs[CheckpointObject]; !ok {
		t.Fatal("no checkpoint object")
	}
	l.Close()
	l2, err := OpenStore(ctx, ms, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := l2.Append(ctx, ev(7)); err != nil || r.Seq != 7 {
		t.Fatalf("append after reopen: %d %v", r.Seq, err)
	}
	var show bytes.Buffer
	l2.Show(&show, time.Time{})
	if strings.Count(show.String(), "\n") != 7 {
		t.Fatalf("show:\n%s", show.String())
	}
	snapshot := map[string][]byte{}
	for k, v := range ms.Objs {
		snapshot[k] = v
	}
	restore := func() {
		ms.Objs = map[string][]byte{}
		for k, v := range snapshot {
			ms.Objs[k] = v
		}
	}
	tamper := []struct {
		name string
		do   func()
		kind Kind
		src  string
	}{
		{"delete middle object", func() { delete(ms.Objs, BatchObjectName(2, 2)) }, KindDeleted, BatchObjectName(3, 3)},
		{"delete tail object", func() { delete(ms.Objs, BatchObjectName(7, 7)) }, KindTruncated, BatchObjectName(4, 6)},
		{"edit object", func() {
			n := BatchObjectName(4, 6)
			ms.Objs[n] = bytes.Replace(ms.Objs[n], []byte("PSN-0005"), []byte("PSN-0050"), 1)
		}, KindEdited, BatchObjectName(4, 6)},
		{"rename object", func() {
			ms.Objs[BatchObjectName(2, 3)] = ms.Objs[BatchObjectName(2, 2)]
			delete(ms.Objs, BatchObjectName(2, 2))
		}, KindEdited, BatchObjectName(2, 3)},
		{"stray object", func() { ms.Objs["audit/notes.txt"] = []byte("x") }, KindUnparseable, "audit/notes.txt"},
		{"delete checkpoint", func() { delete(ms.Objs, CheckpointObject) }, KindBadCheckpoint, CheckpointObject},
	}
	for _, c := range tamper {
		t.Run(c.name, func(t *testing.T) {
			restore()
			c.do()
			_, err := OpenStore(ctx, ms, key, Options{})
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Kind != c.kind || ve.Source != c.src {
				t.Fatalf("err %v; want %s in %s", err, c.kind, c.src)
			}
		})
	}
	restore()
	if _, err := l2.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	key, err := NewKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	var prev string
	for i := 1; i <= 4; i++ {
		r := Record{Seq: uint64(i), Time: "2026-03-01T12:00:00Z", Actor: "a", Entity: "vault.record", RecordID: "r",
			Action: ActionRead, Reason: "x", Outcome: OutcomeAllowed, KeyID: key.id, Prev: prev, Detail: map[string]string{"k": "v"}}
		ln, _ := seal(key, &r)
		buf.Write(ln)
		buf.WriteByte('\n')
		prev = r.MAC
	}
	f.Add(buf.Bytes())
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":1,"mac":"` + strings.Repeat("0", 64) + `"}` + "\n"))
	f.Add([]byte("\n\n\x00"))
	cp := key.signCheckpoint(4, prev)
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := Verify(bytes.NewReader(data), key, &cp)
		if err == nil && sum.LastSeq != 4 {
			t.Fatalf("verified a log not matching the checkpoint: %+v", sum)
		}
		if err != nil {
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("non-typed error %v", err)
			}
		}
		Verify(bytes.NewReader(data), key, nil)
	})
}
