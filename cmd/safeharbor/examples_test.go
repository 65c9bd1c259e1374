package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/sinks/policy"
)

// TestExamplesValid keeps the shipped example files working: the run
// configuration passes `config check` and the access policy parses.
func TestExamplesValid(t *testing.T) {
	dir := t.TempDir()
	kr := filepath.Join(dir, "vault.keyring")
	if err := os.WriteFile(kr, []byte("k1:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SAFEHARBOR_KEYS_DEID_KEY_FILE", writeKey(t, dir, 0o600))
	t.Setenv("SAFEHARBOR_KEYS_VAULT_KEYRING_FILE", kr)
	t.Setenv("SAFEHARBOR_RULES_FILE", "../../examples/rules.yaml")
	code, out, errs := run([]string{"config", "check", "../../examples/safeharbor.yaml"}, "")
	if code != exitOK || !strings.Contains(out, "OK") {
		t.Fatalf("config check examples/safeharbor.yaml: exit %d\n%s%s", code, out, errs)
	}
	p, err := policy.Load("../../examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Check("privacy.officer", policy.ActionReidentify, false); !d.Allowed {
		t.Fatalf("privacy officer may not reidentify: %s", d.Reason)
	}
	if d := p.Check("dr.chen", policy.ActionReidentify, false); d.Allowed {
		t.Fatal("a clinician may reidentify without emergency access")
	}
	if d := p.Check("dr.chen", policy.ActionReidentify, true); !d.Allowed || !d.Emergency {
		t.Fatalf("break-glass for on-call clinicians: %+v", d)
	}
}
