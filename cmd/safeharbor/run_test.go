package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/sinks/access"
	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/store"
)

// runDemo runs `safeharbor run -demo n` on the embedded broker with its
// local audit trail under dir and returns the exit code and output.
func runDemo(t *testing.T, dir string, n string, extra string) (int, string) {
	t.Helper()
	for _, k := range []string{"deid.key", "audit.key"} {
		writeFile0600(t, filepath.Join(dir, k), hex.EncodeToString(bytes.Repeat([]byte{byte(len(k))}, 32)))
	}
	writeFile0600(t, filepath.Join(dir, "vault.keyring"), "k1:"+randB64(t)+"\n")
	cfg := writeFile0600(t, filepath.Join(dir, "run.yaml"), "keys:\n  deid_key_file: "+dir+"/deid.key\n  vault_keyring_file: "+dir+
		"/vault.keyring\n  audit_key_file: "+dir+"/audit.key\nvault:\n  dir: "+dir+"/vault\nanalytics:\n  dir: "+dir+
		"/analytics\naudit:\n  log: "+dir+"/audit/audit.jsonl\n  anchor_dir: "+dir+"/audit/anchors\nmetrics_addr: \"\"\n"+
		"pipeline:\n  checkpoint_interval: 200ms\n"+extra)
	var out, errb bytes.Buffer
	code := dispatch([]string{"run", "--config", cfg, "-demo", n, "-demo-poison", "50", "-log-level", "warn"}, nil, &out, &errb)
	return code, out.String() + errb.String()
}

// noSystemAccessConfig makes run use its local audit trail.
func noSystemAccessConfig(t *testing.T) {
	useAccessConfig(t, filepath.Join(t.TempDir(), "none.yaml"))
}

// Every vault object a run writes (segments of originals and of bad records)
// has exactly one audit record, written by the service's OS account, with no
// PHI; the trail verifies against its anchors afterwards.
func TestRunAuditsEveryVaultWrite(t *testing.T) {
	noSystemAccessConfig(t)
	runAs("svc-pipeline")
	dir := t.TempDir()
	code, out := runDemo(t, dir, "600", "")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	st, err := store.NewLocal(filepath.Join(dir, "vault"))
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]bool{}
	for _, p := range []string{"segments/", "dlq/"} {
		st.List(context.Background(), p, func(in store.Info) error { objs[in.Name] = true; return nil })
	}
	b, err := os.ReadFile(filepath.Join(dir, "audit", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	audited := map[string]int{}
	dlq := 0
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r audit.Record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		if r.Entity == access.EntitySegment || r.Entity == access.EntityDLQ {
			if r.Actor != "svc-pipeline" || r.Client != "pipeline" || r.Action != audit.ActionCreate || r.Time == "" || r.Outcome != audit.OutcomeAllowed {
				t.Fatalf("write record: %+v", r)
			}
			audited[r.RecordID]++
			if r.Entity == access.EntityDLQ {
				dlq++
			}
		}
	}
	if len(objs) == 0 || dlq == 0 {
		t.Fatalf("%d vault objects, %d DLQ segments audited", len(objs), dlq)
	}
	if len(audited) != len(objs) {
		t.Fatalf("vault holds %d segment objects, the trail audits %d", len(objs), len(audited))
	}
	for name := range objs {
		if audited[name] != 1 {
			t.Fatalf("segment %s audited %d times", name, audited[name])
		}
	}
	var vout, verr bytes.Buffer
	if code := dispatch([]string{"audit", "verify", "--config", filepath.Join(dir, "run.yaml")}, nil, &vout, &verr); code != exitOK ||
		!strings.Contains(vout.String(), "verified") {
		t.Fatalf("audit verify of the local trail: %d %q %q", code, vout.String(), verr.String())
	}
	key, _ := audit.LoadKey(filepath.Join(dir, "audit.key"))
	if _, rep, err := audit.VerifyFile(context.Background(), filepath.Join(dir, "audit", "audit.jsonl"), key,
		&audit.FileAnchor{Dir: filepath.Join(dir, "audit", "anchors")}); err != nil || rep.Unanchored != 0 {
		t.Fatalf("trail after run: %+v %v", rep, err)
	}
	// Without an audit key, run refuses to start (no unaudited PHI writes).
	os.Remove(filepath.Join(dir, "audit.key"))
	dir2 := t.TempDir()
	t.Setenv("SAFEHARBOR_KEYS_AUDIT_KEY_FILE", dir2+"/missing.key")
	if code, out := runDemo(t, dir2, "10", ""); code != exitUsage || !strings.Contains(out, "audit") {
		t.Fatalf("run without audit key: %d %s", code, out)
	}
}

// With a system access configuration, run's account must be allowed to store
// by its policy; a refusal is audited and nothing is written.
func TestRunNeedsStorePermission(t *testing.T) {
	e := newPHIEnv(t) // system access configuration: svc may rotate, not store
	runAs("svc")
	dir := t.TempDir()
	code, out := runDemo(t, dir, "10", "")
	if code != exitFail || !strings.Contains(out, "refused") {
		t.Fatalf("run without store permission: %d %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "vault", "segments")); err == nil {
		t.Fatal("vault written")
	}
	if find(e.records(t), "vault", dir+"/vault", audit.OutcomeDenied) == nil {
		t.Fatal("refused start not audited in the system trail")
	}
}

// The audit trail may not live inside the vault or analytics directories.
func TestRunRefusesAuditInsideDataDirs(t *testing.T) {
	noSystemAccessConfig(t)
	runAs("svc-pipeline")
	dir := t.TempDir()
	t.Setenv("SAFEHARBOR_AUDIT_LOG", filepath.Join(dir, "vault", "audit.jsonl"))
	if code, out := runDemo(t, dir, "10", ""); code != exitUsage || !strings.Contains(out, "separate stores") {
		t.Fatalf("audit in the vault: %d %s", code, out)
	}
}
