package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `version: 1
users: [alice, bob, carol, dave, svc-pipeline]
groups:
  privacy: [alice]
  oncall: [bob, carol]
allow:
  reidentify: [privacy]
  erase: [privacy, dave]
  purge: [alice]
  rotate: [svc-pipeline]
emergency:
  reidentify: [oncall]
`

func mustParse(t *testing.T, s string) *Policy {
	t.Helper()
	p, err := Parse("test.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	p := mustParse(t, good)
	cases := []struct {
		user, action        string
		emergency           bool
		allowed, emerg      bool
		via, reasonContains string
	}{
		{"alice", ActionReidentify, false, true, false, "group privacy", "allowed"},
		{"alice", ActionPurge, false, true, false, "user alice", "allowed"},
		{"dave", ActionErase, false, true, false, "user dave", "allowed"},
		{"dave", ActionReidentify, false, false, false, "", "no rule"},
		{"svc-pipeline", ActionRotate, false, true, false, "user svc-pipeline", "allowed"},
		{"svc-pipeline", ActionReidentify, false, false, false, "", "no rule"},
		// emergency: bob is oncall, may re-identify only with break-glass.
		{"bob", ActionReidentify, false, false, false, "", "no rule"},
		{"bob", ActionReidentify, true, true, true, "group oncall", "EMERGENCY"},
		{"carol", ActionReidentify, true, true, true, "group oncall", "raise an alert"},
		{"bob", ActionErase, true, false, false, "", "not even with emergency"},
		// emergency requested but not needed: normal allowance, no alert.
		{"alice", ActionReidentify, true, true, false, "group privacy", "emergency not needed"},
		// default deny
		{"mallory", ActionReidentify, false, false, false, "", "not in the policy"},
		{"mallory", ActionReidentify, true, false, false, "", "not in the policy"},
		{"alice", "export", false, false, false, "", "unknown action"},
		{"", ActionErase, false, false, false, "", "not in the policy"},
		{"privacy", ActionReidentify, false, false, false, "", "not in the policy"},
	}
	for _, c := range cases {
		d := p.Check(c.user, c.action, c.emergency)
		if d.Allowed != c.allowed || d.Emergency != c.emerg || d.Alert != c.emerg || d.Via != c.via ||
			!strings.Contains(d.Reason, c.reasonContains) || d.User != c.user || d.Action != c.action {
			t.Errorf("Check(%q,%q,%v) = %+v", c.user, c.action, c.emergency, d)
		}
	}
	var nilP *Policy
	if d := nilP.Check("alice", ActionErase, false); d.Allowed {
		t.Error("nil policy allowed")
	}
	empty := mustParse(t, "version: 1\nusers: [alice]\n")
	for _, a := range Actions {
		if d := empty.Check("alice", a, true); d.Allowed {
			t.Errorf("empty policy allowed %s", a)
		}
	}
	if got := strings.Join(p.Users(), ","); got != "alice,bob,carol,dave,svc-pipeline" {
		t.Errorf("users %s", got)
	}
}

func TestMalformed(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown top key", "version: 1\nusers: [a]\nalow:\n  erase: [a]\n", "test.yaml:3:1: unknown key \"alow\""},
		{"unknown action", "version: 1\nusers: [a]\nallow:\n  erase: [a]\n  delete: [a]\n", "test.yaml:5:3: allow: unknown action \"delete\""},
		{"unknown emergency action", "version: 1\nusers: [a]\nemergency:\n    export: [a]\n", "test.yaml:4:5: emergency: unknown action \"export\""},
		{"undeclared name in allow", "version: 1\nusers: [a, b]\nallow:\n  purge: [a, zed]\n", "test.yaml:4:14: allow.purge: \"zed\" is neither a declared user nor a group"},
		{"undeclared group member", "version: 1\nusers: [a]\ngroups:\n  ops:\n    - a\n    - b\n", "test.yaml:6:7: groups.ops: \"b\" is not a declared user"},
		{"duplicate key", "version: 1\nusers: [a]\nallow:\n  erase: [a]\n  erase: [a]\n", "test.yaml:5:3: allow: duplicate key \"erase\""},
		{"duplicate top key", "version: 1\nusers: [a]\nusers: [b]\n", "test.yaml:3:1: policy: duplicate key \"users\""},
		{"listed twice", "version: 1\nusers: [a, a]\n", "test.yaml:2:12: users: \"a\" listed twice"},
		{"bad version", "version: 2\nusers: [a]\n", "test.yaml:1:10: version must be 1"},
		{"missing version", "users: [a]\n", "test.yaml:1:1: missing key \"version\""},
		{"missing users", "version: 1\n", "test.yaml:1:1: missing key \"users\""},
		{"users not a list", "version: 1\nusers: alice\n", "test.yaml:2:8: users must be a list of names"},
		{"allow not a mapping", "version: 1\nusers: [a]\nallow: [a]\n", "test.yaml:3:8: allow must be a mapping"},
		{"group same as user", "version: 1\nusers: [a]\ngroups:\n  a: [a]\n", "test.yaml:4:3: groups: \"a\" is also a user"},
		{"bad name", "version: 1\nusers: [\"a b\"]\n", "test.yaml:2:9: users: \"a b\" is not a valid name"},
		{"non-name entry", "version: 1\nusers: [a, {x: 1}]\n", "test.yaml:2:12: users: entries must be names"},
		{"alias", "version: 1\nusers: &u [a]\nallow:\n  erase: *u\n", "test.yaml:4:10: allow: YAML aliases are not allowed"},
		{"top not mapping", "- a\n", "test.yaml:1:1: policy must be a mapping"},
		{"syntax error", "version: 1\nusers: [a\n", "test.yaml:"},
		{"tab indentation", "version: 1\nusers:\n\t- a\n", "test.yaml:3: YAML syntax"},
		{"empty", "", "test.yaml: empty policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(c.src))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %v, want *policy.Error", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %q, want %q", err, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.yaml")
	os.WriteFile(p, []byte(good), 0o600)
	pol, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !pol.Check("alice", ActionErase, false).Allowed {
		t.Fatal("loaded policy wrong")
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte(strings.Repeat("#", MaxFileSize+1)), 0o600)
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("big file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("version: 1\nusers: &u [a]\nallow:\n  erase: *u\n"))
	f.Add([]byte("version: 1\nusers: [a]\ngroups: {g: [a]}\nemergency: {purge: [g]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, u := range p.Users() {
			for _, a := range Actions {
				p.Check(u, a, true)
			}
		}
	})
}

// Break-glass rules stop applying at emergency_expires; normal rules do not.
func TestEmergencyExpires(t *testing.T) {
	p := mustParse(t, good+"emergency_expires: 2026-06-01T00:00:00Z\n")
	before := time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC)
	after := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if d := p.CheckAt("bob", ActionReidentify, true, before); !d.Allowed || !d.Emergency {
		t.Fatalf("before expiry: %+v", d)
	}
	if d := p.CheckAt("bob", ActionReidentify, true, after); d.Allowed || !strings.Contains(d.Reason, "expired") {
		t.Fatalf("after expiry: %+v", d)
	}
	if d := p.CheckAt("alice", ActionReidentify, false, after); !d.Allowed {
		t.Fatalf("normal rule after expiry: %+v", d)
	}
	if _, err := Parse("x", []byte(good+"emergency_expires: soon\n")); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Fatalf("bad expiry: %v", err)
	}
}
