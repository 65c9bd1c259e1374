package access

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/policy"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

var ctx = context.Background()

const testPolicy = `version: 1
users: [alice, bob, carol, svc]
groups:
  oncall: [bob]
allow:
  reidentify: [alice]
  store: [svc]
  audit-read: [alice]
emergency:
  reidentify: [oncall]
`

// self trusts the test's own account (tests need not run as root).
var self = Trust{UIDs: []int{os.Geteuid()}}

type env struct {
	dir, cfg, policy, key, log string
}

func write(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func newEnv(t *testing.T, extra string) *env {
	t.Helper()
	e := &env{dir: filepath.Join(t.TempDir(), "etc")}
	if err := os.Mkdir(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.policy = write(t, filepath.Join(e.dir, "policy.yaml"), testPolicy, 0o644)
	e.key = write(t, filepath.Join(e.dir, "audit.key"), hex.EncodeToString(bytes.Repeat([]byte{7}, 32)), 0o600)
	e.log = filepath.Join(t.TempDir(), "audit.jsonl")
	e.cfg = write(t, filepath.Join(e.dir, "access.yaml"), "policy: policy.yaml\naudit:\n  log: "+e.log+
		"\n  key_file: audit.key\nanchor:\n  dir: "+filepath.Join(t.TempDir(), "anchors")+"\n"+extra, 0o644)
	return e
}

func (e *env) load(t *testing.T) (*Config, error) {
	t.Helper()
	return LoadConfig(LoadOptions{Getenv: func(k string) string {
		if k == ConfigEnv {
			return e.cfg
		}
		return ""
	}, Trust: self})
}

func as(name string) Identifier {
	return func() (Identity, error) { return Identity{User: name, Via: "test", Client: "local"}, nil }
}

func (e *env) guard(t *testing.T, who string, o Options) *Guard {
	t.Helper()
	c, err := e.load(t)
	if err != nil {
		t.Fatal(err)
	}
	o.Identify = as(who)
	g, err := Open(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (e *env) records(t *testing.T) []audit.Record {
	t.Helper()
	b, err := os.ReadFile(e.log)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r audit.Record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestLoadConfigTrusted(t *testing.T) {
	e := newEnv(t, "")
	c, err := e.load(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy != e.policy || c.Audit.KeyFile != e.key || c.ServiceAccount != DefaultServiceAccount {
		t.Fatalf("%+v", c)
	}
}

// A caller cannot make the guard believe a configuration or policy that
// someone other than root or the service account could have written.
func TestLoadConfigRefusesUntrustedFiles(t *testing.T) {
	refuse := func(t *testing.T, e *env, want string) {
		t.Helper()
		_, err := e.load(t)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
	}
	t.Run("group-writable config", func(t *testing.T) {
		e := newEnv(t, "")
		os.Chmod(e.cfg, 0o664)
		refuse(t, e, "writable by group or others")
	})
	t.Run("world-writable policy", func(t *testing.T) {
		e := newEnv(t, "")
		os.Chmod(e.policy, 0o666)
		refuse(t, e, "writable by group or others")
	})
	t.Run("writable directory", func(t *testing.T) {
		e := newEnv(t, "")
		os.Chmod(e.dir, 0o777)
		refuse(t, e, "directory has mode")
	})
	t.Run("symlinked config", func(t *testing.T) {
		e := newEnv(t, "")
		link := filepath.Join(e.dir, "link.yaml")
		os.Symlink(e.cfg, link)
		e.cfg = link
		refuse(t, e, "symbolic link")
	})
	t.Run("relative path", func(t *testing.T) {
		e := newEnv(t, "")
		e.cfg = "access.yaml"
		refuse(t, e, "absolute path")
	})
	t.Run("missing", func(t *testing.T) {
		e := newEnv(t, "")
		e.cfg = filepath.Join(e.dir, "none.yaml")
		if _, err := e.load(t); !errors.Is(err, ErrNoConfig) {
			t.Fatalf("missing: %v", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		e := newEnv(t, "users: [mallory]\n")
		refuse(t, e, "users")
	})
	if os.Geteuid() != 0 {
		t.Log("not root: foreign-owner cases skipped")
		return
	}
	nobody := 65534
	t.Run("foreign-owned config", func(t *testing.T) {
		e := newEnv(t, "")
		os.Chown(e.cfg, nobody, nobody)
		_, err := LoadConfig(LoadOptions{Getenv: func(string) string { return e.cfg }})
		if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Fatalf("foreign config: %v", err)
		}
	})
	t.Run("foreign-owned policy", func(t *testing.T) {
		e := newEnv(t, "")
		os.Chown(e.policy, nobody, nobody)
		_, err := LoadConfig(LoadOptions{Getenv: func(string) string { return e.cfg }})
		if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Fatalf("foreign policy: %v", err)
		}
	})
	t.Run("foreign-owned directory", func(t *testing.T) {
		e := newEnv(t, "")
		os.Chown(e.dir, nobody, nobody)
		_, err := LoadConfig(LoadOptions{Getenv: func(string) string { return e.cfg }})
		if err == nil || !strings.Contains(err.Error(), "directory is owned by uid 65534") {
			t.Fatalf("foreign dir: %v", err)
		}
	})
	t.Run("foreign-owned audit key", func(t *testing.T) {
		e := newEnv(t, "")
		os.Chown(e.key, nobody, nobody)
		c, err := LoadConfig(LoadOptions{Getenv: func(string) string { return e.cfg }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, c, Options{Identify: as("alice")}); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Fatalf("foreign key: %v", err)
		}
	})
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "s"), "hunter2-secret\n", 0o600)
	if s, err := ReadSecretFile("x.password_file", p); err != nil || s != "hunter2-secret" {
		t.Fatalf("%q %v", s, err)
	}
	os.Chmod(p, 0o640)
	_, err := ReadSecretFile("x.password_file", p)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("0640: %v", err)
	}
	os.Chmod(p, 0o600)
	if os.Geteuid() == 0 {
		os.Chown(p, 65534, 65534)
		// A secret owned by another account is theirs (they can read and
		// replace it): refused.
		if _, err := ReadSecretFile("x", p); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Fatalf("foreign-owned secret: %v", err)
		}
	}
	if _, err := ReadSecretFile("x", ""); err == nil {
		t.Fatal("empty path accepted")
	}
}

// The CLI identity is the OS account; USER, LOGNAME and SUDO_USER do not change it.
func TestOSUserIgnoresEnvironment(t *testing.T) {
	want, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	t.Setenv("USER", "alice")
	t.Setenv("LOGNAME", "alice")
	t.Setenv("SUDO_USER", "alice")
	id, err := OSUser()
	if err != nil || id.User != want.Username || id.UID != want.Uid || id.Via != "os" {
		t.Fatalf("%+v %v (want %s)", id, err, want.Username)
	}
}

func TestAuthorizeDenialAudited(t *testing.T) {
	e := newEnv(t, "")
	g := e.guard(t, "carol", Options{})
	_, err := g.Authorize(ctx, policy.ActionReidentify, false, audit.Event{Entity: "vault.patient", RecordID: "pA", Action: audit.ActionRead, Reason: "x"})
	var r *Refused
	if !errors.As(err, &r) {
		t.Fatalf("carol: %v", err)
	}
	g.Close()
	rs := e.records(t)
	if len(rs) != 1 || rs[0].Actor != "carol" || rs[0].Outcome != audit.OutcomeDenied || rs[0].RecordID != "pA" {
		t.Fatalf("%+v", rs)
	}
	if _, _, err := Verify(ctx, mustLoad(t, e)); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func mustLoad(t *testing.T, e *env) *Config {
	c, err := e.load(t)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Break-glass access runs the alert command (and the webhook) with a PHI-free
// JSON alert, and is audited; if a hook fails the access is refused.
func TestEmergencyAlertHooks(t *testing.T) {
	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "alert.json")
	script := write(t, filepath.Join(t.TempDir(), "hook.sh"), "#!/bin/sh\ncat > "+out+"\n", 0o700)
	e := newEnv(t, "alert:\n  command: ["+script+"]\n  webhook: "+srv.URL+"\n")
	var warn bytes.Buffer
	g := e.guard(t, "bob", Options{AlertLog: &warn})
	before := EmergencyTotal()
	ev := audit.Event{Entity: "vault.patient", RecordID: "pA", Action: audit.ActionRead, Reason: "patient Quillby in ER"}
	d, err := g.Authorize(ctx, policy.ActionReidentify, true, ev)
	if err != nil || !d.Emergency {
		t.Fatalf("%+v %v", d, err)
	}
	g.Close()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var a Alert
	if err := json.Unmarshal(b, &a); err != nil || a.User != "bob" || a.RecordID != "pA" || a.Event != EmergencyEvent {
		t.Fatalf("command got %s %v", b, err)
	}
	if wb := <-got; !bytes.Equal(bytes.TrimSpace(wb), bytes.TrimSpace(b)) {
		t.Fatalf("webhook got %s", wb)
	}
	if strings.Contains(string(b)+warn.String(), "Quillby") {
		t.Fatal("alert carries the free-text reason")
	}
	if EmergencyTotal() != before+1 || !strings.Contains(warn.String(), `"level":"WARN"`) {
		t.Fatalf("no WARN/counter: %q", warn.String())
	}
	var em *audit.Record
	for _, r := range e.records(t) {
		if r.Entity == "access.emergency" {
			em = &r
		}
	}
	if em == nil || !em.Emergency || em.Actor != "bob" || em.Detail["alert"] != "raised" {
		t.Fatalf("emergency not audited: %+v", em)
	}

	// A failing hook refuses the access (and says so in the trail).
	e2 := newEnv(t, "alert:\n  command: [/bin/false]\n")
	g2 := e2.guard(t, "bob", Options{AlertLog: io.Discard})
	_, err = g2.Authorize(ctx, policy.ActionReidentify, true, ev)
	var r *Refused
	if !errors.As(err, &r) || !strings.Contains(err.Error(), "alert") {
		t.Fatalf("failing hook: %v", err)
	}
	g2.Close()
	rs := e2.records(t)
	if rs[len(rs)-1].Entity != "access.emergency" || rs[len(rs)-1].Outcome != audit.OutcomeDenied {
		t.Fatalf("%+v", rs)
	}
}

func TestAuditVaultWrites(t *testing.T) {
	e := newEnv(t, "")
	g := e.guard(t, "svc", Options{Client: "pipeline"})
	if _, err := g.Authorize(ctx, policy.ActionStore, false, audit.Event{Entity: "vault", RecordID: "v", Action: audit.ActionCreate}); err != nil {
		t.Fatal(err)
	}
	segs := []vault.FlushResult{{Segment: "segments/hl7/0/a.seg", Records: 3, Pseudonyms: []string{"p1", "p2"}},
		{Segment: "dlq/hl7/0/b.seg", DLQ: true, Records: 1}}
	if err := g.AuditVaultWrites(ctx, segs); err != nil {
		t.Fatal(err)
	}
	g.Close()
	rs := e.records(t)
	if len(rs) != 2 || rs[0].Entity != EntitySegment || rs[1].Entity != EntityDLQ || rs[0].Actor != "svc" ||
		rs[0].Client != "pipeline" || rs[0].Detail["pseudonyms"] != "2" || rs[0].Action != audit.ActionCreate {
		t.Fatalf("%+v", rs)
	}
}

func TestAnchoredOnCloseAndVerify(t *testing.T) {
	e := newEnv(t, "")
	g := e.guard(t, "alice", Options{})
	for range 3 {
		if err := g.Record(ctx, audit.Event{Entity: "x", RecordID: "y", Action: audit.ActionRead, Reason: "r", Outcome: audit.OutcomeAllowed}); err != nil {
			t.Fatal(err)
		}
	}
	g.Close()
	sum, rep, err := Verify(ctx, mustLoad(t, e))
	if err != nil || sum.LastSeq != 3 || rep.AnchoredSeq != 3 {
		t.Fatalf("%+v %+v %v", sum, rep, err)
	}
	// Deleting the log is detected.
	os.Remove(e.log)
	if _, _, err := Verify(ctx, mustLoad(t, e)); !errors.Is(err, audit.ErrTampered) {
		t.Fatalf("deleted log: %v", err)
	}
}

// Extract files are created exclusively: never truncating, never following a link.
func TestWriteExclusive(t *testing.T) {
	dir := t.TempDir()
	victim := write(t, filepath.Join(dir, "victim"), "keep", 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(victim, link)
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "created-through-link"), dangling)
	for _, p := range []string{victim, link, dangling} {
		if err := WriteExclusive(p, []byte("PHI")); err == nil {
			t.Fatalf("%s written", p)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatal("victim changed")
	}
	if _, err := os.Lstat(filepath.Join(dir, "created-through-link")); err == nil {
		t.Fatal("dangling symlink followed")
	}
	p := filepath.Join(dir, "new")
	if err := WriteExclusive(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

// The annotated example configuration parses and names the example policy.
func TestExampleConfigParses(t *testing.T) {
	b, err := os.ReadFile("../../examples/access.yaml")
	if err != nil {
		t.Skip(err)
	}
	c, err := ParseConfig("examples/access.yaml", b, "/etc/safeharbor")
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy != "/etc/safeharbor/policy.yaml" || len(c.RecipientNames()) != 1 {
		t.Fatalf("%+v", c)
	}
	if _, err := policy.Load("../../examples/policy.yaml"); err != nil {
		t.Fatal(err)
	}
}
