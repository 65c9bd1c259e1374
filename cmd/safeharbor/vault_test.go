package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/safeharbor/safeharbor/internal/miniotest"
	"github.com/safeharbor/safeharbor/sinks/access"
	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// Distinctive fake PHI of the two test patients.
var (
	phiA = []string{"Quillby Zandermoor", "MRN-55113322", "555-313-7777"}
	phiB = []string{"Yolanthe Brixwater", "MRN-99001188"}
)

const testPolicy = `version: 1
users: [alice, bob, carol, svc]
groups:
  privacy: [alice]
  oncall: [bob]
allow:
  reidentify: [privacy]
  erase: [privacy]
  purge: [alice]
  rotate: [svc]
  audit-read: [alice]
  dlq-read: [alice]
emergency:
  reidentify: [oncall]
`

type phiEnv struct {
	dir, vaultDir, keyring, auditLog, auditKey, policy string
	accessCfg                                          string              // the system access configuration
	ageID                                              *age.X25519Identity // the "irb" extract recipient's private key
	signPub                                            ed25519.PublicKey
	st                                                 store.Store
	vaultArgs                                          []string
	secrets                                            []string // key material that must never be printed
	kr                                                 *vault.Keyring
}

func writeFile0600(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randB64(t *testing.T) string {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// newPHIEnv makes a local vault holding records of patients pA (6) and pB (2) from
// partition 0, a keyring, an audit key and a policy.
// With s3 set, the vault is a bucket of that MinIO server instead of a directory.
func newPHIEnv(t *testing.T, s3 ...*miniotest.Server) *phiEnv {
	t.Helper()
	e := &phiEnv{dir: t.TempDir()}
	e.vaultDir = filepath.Join(e.dir, "vault")
	var err error
	if len(s3) == 0 {
		if e.st, err = store.NewLocal(e.vaultDir); err != nil {
			t.Fatal(err)
		}
		e.vaultArgs = []string{"--vault-dir", e.vaultDir}
	} else {
		s := s3[0]
		bucket := s.NewBucket(t, false)
		if e.st, err = store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: bucket, AccessKey: s.AccessKey,
			SecretKey: s.SecretKey, CAFile: s.CAFile}); err != nil {
			t.Fatal(err)
		}
		e.vaultArgs = []string{"--s3-endpoint", s.Endpoint, "--s3-bucket", bucket, "--s3-ca-file", s.CAFile,
			"--s3-access-key-file", writeFile0600(t, filepath.Join(e.dir, "ak"), s.AccessKey+"\n"),
			"--s3-secret-key-file", writeFile0600(t, filepath.Join(e.dir, "sk"), s.SecretKey+"\n")}
		e.secrets = append(e.secrets, s.SecretKey)
	}
	k1 := randB64(t)
	e.keyring = writeFile0600(t, filepath.Join(e.dir, "vault.keyring"), "k1:"+k1+"\n")
	ak := make([]byte, 32)
	rand.Read(ak)
	e.auditKey = writeFile0600(t, filepath.Join(e.dir, "audit.key"), hex.EncodeToString(ak))
	e.secrets = append(e.secrets, k1, hex.EncodeToString(ak))
	e.auditLog = filepath.Join(e.dir, "audit.jsonl")
	e.policy = writeFile0600(t, filepath.Join(e.dir, "policy.yaml"), testPolicy)
	if e.ageID, err = age.GenerateX25519Identity(); err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	e.signPub = ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	writeFile0600(t, filepath.Join(e.dir, "extract-signing.key"), hex.EncodeToString(seed))
	e.secrets = append(e.secrets, hex.EncodeToString(seed), e.ageID.String())
	e.accessCfg = writeFile0600(t, filepath.Join(e.dir, "access.yaml"), "policy: policy.yaml\naudit:\n  log: audit.jsonl\n"+
		"  key_file: audit.key\nanchor:\n  dir: anchors\nextraction:\n  recipients:\n    irb: "+e.ageID.Recipient().String()+
		"\n  signing_key_file: extract-signing.key\n")
	useAccessConfig(t, e.accessCfg)
	if e.kr, err = vault.LoadKeyring(e.keyring); err != nil {
		t.Fatal(err)
	}
	v := e.openVault(t)
	w := v.NewWriter(vault.WriterConfig{MaxRecords: 3})
	ctx := context.Background()
	for i := range 8 {
		p, data := "pA", fmt.Sprintf("MSH|^~\\&|A|B\rPID|1||%s||%s||||||%s\rNTE|%d\r", phiA[1], phiA[0], phiA[2], i)
		if i%3 == 2 {
			p, data = "pB", fmt.Sprintf("MSH|^~\\&|A|B\rPID|1||%s||%s\rNTE|%d\r", phiB[1], phiB[0], i)
		}
		if _, err := w.Write(ctx, vault.Record{Source: "hl7.adt", Offset: int64(i), Pseudonym: p, MessageType: "ADT^A01",
			Time: time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC), Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *phiEnv) openVault(t *testing.T) *vault.Vault {
	t.Helper()
	v, err := vault.New(vault.Config{Store: e.st, Keyring: e.kr})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// useAccessConfig points the commands at a test access configuration (the
// test's own account is trusted as its owner) until the test ends.
func useAccessConfig(t *testing.T, path string) {
	t.Helper()
	oldLoad, oldOpen := accessLoad, accessOpen
	accessLoad = access.LoadOptions{Getenv: func(k string) string {
		if k == access.ConfigEnv {
			return path
		}
		return ""
	}, Trust: access.Trust{UIDs: []int{os.Geteuid()}}}
	t.Cleanup(func() { accessLoad, accessOpen = oldLoad, oldOpen })
}

// runAs makes the commands see user as the OS account (a test seam: the CLI
// takes the identity from the OS, never from a flag).
func runAs(user string) {
	accessOpen.Identify = func() (access.Identity, error) {
		return access.Identity{User: user, Via: "test", Client: "local"}, nil
	}
}

// cmd runs a subcommand with the environment's common flags plus args, and checks
// that no key material is printed and that PHI appears only where allowed.
// "--as U" in args makes U the OS account running the command.
func (e *phiEnv) cmd(t *testing.T, phiOK bool, args ...string) (int, string, string) {
	t.Helper()
	runAs("alice")
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--as" {
			runAs(args[i+1])
			args = append(append([]string{}, args[:i]...), args[i+2:]...)
			break
		}
	}
	var common []string
	if args[0] != "audit" {
		common = append(append(common, e.vaultArgs...), "--keyring", e.keyring)
	}
	n := 2 // "vault erase", "audit show"
	if args[0] == "reidentify" {
		n = 1
	}
	full := append(append(append([]string{}, args[:n]...), common...), args[n:]...)
	var out, errb bytes.Buffer
	code := dispatch(full, nil, &out, &errb)
	for _, s := range e.secrets {
		if strings.Contains(out.String()+errb.String(), s) {
			t.Fatalf("%v: key material printed", args)
		}
	}
	for _, s := range append(append([]string{}, phiA...), phiB...) {
		if strings.Contains(errb.String(), s) || (!phiOK && strings.Contains(out.String(), s)) {
			t.Fatalf("%v: PHI %q printed (stdout %q stderr %q)", args, s, out.String(), errb.String())
		}
	}
	return code, out.String(), errb.String()
}

// records reads the audit log file (and verifies it).
func (e *phiEnv) records(t *testing.T) []audit.Record {
	t.Helper()
	b, err := os.ReadFile(e.auditLog)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var r audit.Record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func find(rs []audit.Record, entity, id string, outcome audit.Outcome) *audit.Record {
	for i := range rs {
		if rs[i].Entity == entity && rs[i].RecordID == id && rs[i].Outcome == outcome {
			return &rs[i]
		}
	}
	return nil
}

func TestReidentifyAllowed(t *testing.T) {
	e := newPHIEnv(t)
	code, out, errs := e.cmd(t, true, "reidentify", "--pseudonym", "pA", "--as", "alice", "--reason", "ticket 42")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Count(out, phiA[0]) != 6 || strings.Contains(out, phiB[0]) {
		t.Fatalf("output: %q", out)
	}
	rs := e.records(t)
	r := find(rs, "vault.patient", "pA", audit.OutcomeAllowed)
	if r == nil || r.Actor != "alice" || r.Action != audit.ActionRead || r.Client != "local" || r.Reason != "ticket 42" || r.Emergency {
		t.Fatalf("audit record: %+v", r)
	}
	reads := 0
	for _, r := range rs {
		if r.Entity == "vault.record" && r.Action == audit.ActionRead {
			reads++
		}
	}
	if reads != 6 {
		t.Fatalf("%d record reads audited", reads)
	}
	// --config supplies the vault and keyring instead of flags.
	cfg := writeFile0600(t, filepath.Join(e.dir, "run.yaml"), "vault:\n  dir: "+e.vaultDir+"\nkeys:\n  vault_keyring_file: "+e.keyring+"\n")
	var cout, cerr bytes.Buffer
	if code := dispatch([]string{"reidentify", "--config", cfg, "--pseudonym", "pB", "--reason", "cfg"}, nil, &cout, &cerr); code != exitOK ||
		strings.Count(cout.String(), phiB[0]) != 2 {
		t.Fatalf("--config: %d %q", code, cerr.String())
	}
}

// File output is an extract: encrypted with age to a recipient named in the
// access configuration, signed with the extraction key, created exclusively
// (no truncation of an existing file, no symlink followed).
func TestReidentifyExtract(t *testing.T) {
	e := newPHIEnv(t)
	out := filepath.Join(e.dir, "extract.age")
	// Plaintext files are gone: --out needs --recipient.
	if code, _, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "r", "--out", out); code != exitUsage || !strings.Contains(errs, "--recipient") {
		t.Fatalf("--out alone: %d %q", code, errs)
	}
	// A recipient the configuration does not name (the caller's own key) is refused before any access.
	if code, _, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "r", "--out", out, "--recipient", "me"); code != exitUsage || !strings.Contains(errs, "not in the access configuration") {
		t.Fatalf("unknown recipient: %d %q", code, errs)
	}
	if find(e.records(t), "vault.patient", "pA", audit.OutcomeAllowed) != nil {
		t.Fatal("refused extract audited as an access")
	}
	code, stdout, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "IRB 7", "--out", out, "--recipient", "irb")
	if code != exitOK || stdout != "" {
		t.Fatalf("extract: %d %q %q", code, stdout, errs)
	}
	ct, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{out, out + ".sig"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", p, fi, err)
		}
	}
	if bytes.Contains(ct, []byte(phiA[0])) {
		t.Fatal("extract not encrypted")
	}
	r, err := age.Decrypt(bytes.NewReader(ct), e.ageID)
	if err != nil {
		t.Fatal(err)
	}
	pt, _ := io.ReadAll(r)
	if bytes.Count(pt, []byte(phiA[0])) != 6 {
		t.Fatalf("decrypted extract holds %d records", bytes.Count(pt, []byte(phiA[0])))
	}
	sig, _ := os.ReadFile(out + ".sig")
	if rcpt, err := access.VerifyExtract(e.signPub, ct, sig); err != nil || rcpt != "irb" {
		t.Fatalf("signature: %q %v", rcpt, err)
	}
	ct[len(ct)-1] ^= 1
	if _, err := access.VerifyExtract(e.signPub, ct, sig); err == nil {
		t.Fatal("tampered extract verified")
	}
	if r := find(e.records(t), "extract", "pA", audit.OutcomeAllowed); r == nil || r.Detail["recipient"] != "irb" {
		t.Fatalf("extract not audited: %+v", r)
	}
	// An existing file is never truncated; a planted symlink is never followed.
	victim := writeFile0600(t, filepath.Join(e.dir, "victim"), "keep me")
	link := filepath.Join(e.dir, "link.age")
	os.Symlink(victim, link)
	for _, p := range []string{out, victim, link} {
		if code, _, _ := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "again", "--out", p, "--recipient", "irb"); code != exitUsage {
			t.Fatalf("%s: exit %d", p, code)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Fatal("victim file changed")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestReidentifyAuditsBeforeOutput(t *testing.T) {
	e := newPHIEnv(t)
	old := reidentifyOutput
	reidentifyOutput = func(io.Writer) io.Writer { return failWriter{} }
	defer func() { reidentifyOutput = old }()
	code, _, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--as", "alice", "--reason", "ticket 42")
	if code != exitFail || !strings.Contains(errs, "write output") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rs := e.records(t)
	if find(rs, "vault.patient", "pA", audit.OutcomeAllowed) == nil || find(rs, "vault.patient", "pA", audit.OutcomeError) == nil {
		t.Fatalf("audit trail lacks the access or the failure: %+v", rs)
	}
}

func TestReidentifyDeniedAndEmergency(t *testing.T) {
	e := newPHIEnv(t)
	code, out, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--as", "carol", "--reason", "curious")
	if code != exitFail || out != "" || !strings.Contains(errs, "refused") {
		t.Fatalf("carol: exit %d out %q err %q", code, out, errs)
	}
	if r := find(e.records(t), "vault.patient", "pA", audit.OutcomeDenied); r == nil || r.Actor != "carol" {
		t.Fatal("denied attempt not audited")
	}
	// bob has only break-glass access: refused without --emergency.
	if code, out, _ := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--as", "bob", "--reason", "ER"); code != exitFail || out != "" {
		t.Fatalf("bob without emergency: %d", code)
	}
	before := access.EmergencyTotal()
	code, out, errs = e.cmd(t, true, "reidentify", "--pseudonym", "pA", "--as", "bob", "--reason", "ER, approver unreachable", "--emergency")
	if code != exitOK || !strings.Contains(out, phiA[0]) {
		t.Fatalf("emergency: exit %d err %q", code, errs)
	}
	if !strings.Contains(errs, `"level":"WARN"`) || !strings.Contains(errs, access.EmergencyEvent) || access.EmergencyTotal() != before+1 {
		t.Fatalf("no alert: %q", errs)
	}
	r := find(e.records(t), "vault.patient", "pA", audit.OutcomeAllowed)
	if r == nil || !r.Emergency || r.Detail["approval"] != "emergency" || r.Actor != "bob" {
		t.Fatalf("emergency not flagged: %+v", r)
	}
	// The identity is the OS account: --user naming someone else is refused
	// (exit 2) and $USER/$SUDO_USER change nothing.
	t.Setenv("USER", "alice")
	t.Setenv("SUDO_USER", "alice")
	if code, out, errs := e.cmd(t, false, "reidentify", "--as", "carol", "--user", "alice", "--pseudonym", "pA", "--reason", "x"); code != exitUsage || out != "" || !strings.Contains(errs, "not the OS account") {
		t.Fatalf("--user alice as carol: %d %q", code, errs)
	}
	if code, out, _ := e.cmd(t, false, "reidentify", "--as", "carol", "--pseudonym", "pA", "--reason", "x"); code != exitFail || out != "" {
		t.Fatalf("carol with USER=alice: %d", code)
	}
	if code, _, errs := e.cmd(t, true, "reidentify", "--as", "alice", "--user", "alice", "--pseudonym", "pA", "--reason", "x"); code != exitOK {
		t.Fatalf("--user equal to the OS account: %d %q", code, errs)
	}
	// The old self-asserting flags are gone: a caller cannot choose the policy or the audit log.
	for _, f := range [][]string{{"--policy", e.policy}, {"--audit-log", filepath.Join(e.dir, "mine.jsonl")}, {"--audit-key-file", e.auditKey}} {
		if code, _, _ := e.cmd(t, false, append([]string{"reidentify", "--pseudonym", "pA", "--reason", "x"}, f...)...); code != exitUsage {
			t.Fatalf("%s accepted: %d", f[0], code)
		}
	}
}

func TestVaultEraseCommand(t *testing.T) {
	e := newPHIEnv(t)
	ctx := context.Background()
	refs, err := e.openVault(t).FindByPseudonym(ctx, "pA")
	if err != nil || len(refs) != 6 {
		t.Fatalf("refs %d %v", len(refs), err)
	}
	code, _, errs := e.cmd(t, false, "vault", "erase", "--pseudonym", "pA", "--as", "bob", "--reason", "request 7")
	if code != exitFail || !strings.Contains(errs, "refused") {
		t.Fatalf("bob erase: %d %q", code, errs)
	}
	if find(e.records(t), "vault.key", "pA", audit.OutcomeDenied) == nil {
		t.Fatal("denied erase not audited")
	}
	if _, err := e.openVault(t).OpenRef(ctx, refs[0]); err != nil {
		t.Fatalf("denied erase changed data: %v", err)
	}
	code, out, errs := e.cmd(t, false, "vault", "erase", "--pseudonym", "pA", "--as", "alice", "--reason", "request 7")
	if code != exitOK || !strings.Contains(out, "6 records") {
		t.Fatalf("alice erase: %d %q %q", code, out, errs)
	}
	rs := e.records(t)
	r := find(rs, "vault.key", "pA", audit.OutcomeAllowed)
	if r == nil || r.Action != audit.ActionDelete || r.Detail["records"] != "6" || r.Client != "local" {
		t.Fatalf("erase audit: %+v", r)
	}
	if find(rs, "vault.record", recordID(refs[0]), audit.OutcomeAllowed) == nil {
		t.Fatal("erased record ids not audited")
	}
	v := e.openVault(t)
	for _, ref := range refs {
		if _, err := v.OpenRef(ctx, ref); !errors.Is(err, vault.ErrErased) {
			t.Fatalf("erased record readable: %v", err)
		}
	}
	if code, out, _ := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--as", "alice", "--reason", "check"); code != exitOK || out != "" {
		t.Fatalf("reidentify after erase: %d %q", code, out)
	}
	code, out, _ = e.cmd(t, true, "reidentify", "--pseudonym", "pB", "--as", "alice", "--reason", "check")
	if code != exitOK || strings.Count(out, phiB[0]) != 2 {
		t.Fatalf("other patient: %d", code)
	}
}

func TestVaultPurgeRotateAndAuditCommands(t *testing.T) {
	e := newPHIEnv(t)
	if code, _, errs := e.cmd(t, false, "vault", "purge", "--before", "2024-01-05", "--as", "bob"); code != exitFail || !strings.Contains(errs, "refused") {
		t.Fatalf("bob purge: %d %q", code, errs)
	}
	code, out, errs := e.cmd(t, false, "vault", "purge", "--before", "2024-01-05", "--as", "alice")
	// Segments: offsets 0-2 (newest Jan 3) and 3-5 (Jan 6), 6-7 (Jan 8): one purged.
	if code != exitOK || !strings.Contains(out, "purged 1 segments (3 records)") {
		t.Fatalf("purge: %d %q %q", code, out, errs)
	}
	rs := e.records(t)
	if find(rs, "vault.segment", vault.SegmentName(false, "hl7.adt", 0, 0, 2), audit.OutcomeAllowed) == nil {
		t.Fatal("purged segment not audited")
	}
	// Rotate: alice may not; svc may. Add a newer key to the keyring first.
	k2 := randB64(t)
	e.secrets = append(e.secrets, k2)
	old, _ := os.ReadFile(e.keyring)
	writeFile0600(t, e.keyring, string(old)+"k2:"+k2+"\n")
	if code, _, _ := e.cmd(t, false, "vault", "rotate", "--as", "alice"); code != exitFail {
		t.Fatalf("alice rotate: %d", code)
	}
	code, out, errs = e.cmd(t, false, "vault", "rotate", "--as", "svc")
	if code != exitOK || !strings.Contains(out, "rotated to key id k2: 2 data keys and 2 segments") {
		t.Fatalf("rotate: %d %q %q", code, out, errs)
	}
	if r := find(e.records(t), "vault.kek", "rotate to k2", audit.OutcomeAllowed); r == nil || r.Actor != "svc" {
		t.Fatal("rotate not audited")
	}
	// A world-readable keyring is refused (usage), with no key material printed.
	os.Chmod(e.keyring, 0o644)
	if code, _, errs := e.cmd(t, false, "vault", "rotate", "--as", "svc"); code != exitUsage || !strings.Contains(errs, "chmod 600") {
		t.Fatalf("0644 keyring: %d %q", code, errs)
	}
	os.Chmod(e.keyring, 0o600)

	// audit show and verify.
	code, out, errs = e.cmd(t, false, "audit", "show", "--since", "1h")
	if code != exitOK || !strings.Contains(out, "rotate to k2") || !strings.Contains(out, "denied") {
		t.Fatalf("show: %d %q %q", code, out, errs)
	}
	if code, out, errs := e.cmd(t, false, "audit", "verify"); code != exitOK || !strings.Contains(out, "verified") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	b, _ := os.ReadFile(e.auditLog)
	lines := bytes.SplitAfter(b, []byte("\n"))
	lines[2] = bytes.Replace(lines[2], []byte(`"actor":"`), []byte(`"actor":"x`), 1)
	writeFile0600(t, e.auditLog, string(bytes.Join(lines, nil)))
	code, _, errs = e.cmd(t, false, "audit", "verify")
	if code != exitFail || !strings.Contains(errs, "FAILED") || !strings.Contains(errs, "seq 3") {
		t.Fatalf("tampered verify: %d %q", code, errs)
	}
}

// The same commands against a real MinIO vault, with S3 credentials from 0600 files.
func TestVaultCommandsOnMinIO(t *testing.T) {
	e := newPHIEnv(t, miniotest.Start(t))
	code, out, errs := e.cmd(t, true, "reidentify", "--pseudonym", "pA", "--as", "alice", "--reason", "ticket 9")
	if code != exitOK || strings.Count(out, phiA[0]) != 6 {
		t.Fatalf("reidentify: %d %q", code, errs)
	}
	if code, _, errs := e.cmd(t, false, "vault", "erase", "--pseudonym", "pA", "--as", "alice", "--reason", "request 9"); code != exitOK {
		t.Fatalf("erase: %d %q", code, errs)
	}
	if code, out, _ := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--as", "alice", "--reason", "check"); code != exitOK || out != "" {
		t.Fatalf("after erase: %d %q", code, out)
	}
	// A secret file readable by others is refused without printing it.
	os.Chmod(e.vaultArgs[len(e.vaultArgs)-1], 0o644)
	if code, _, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pB", "--as", "alice", "--reason", "x"); code != exitUsage || !strings.Contains(errs, "chmod 600") {
		t.Fatalf("0644 secret: %d %q", code, errs)
	}
}

// Replacing the audit log and its head with an older copy passed the old
// head-only check; `audit verify` now checks the anchors and reports it, and no
// PHI command runs on a rolled-back trail.
func TestAuditVerifyDetectsRollback(t *testing.T) {
	e := newPHIEnv(t)
	if code, _, errs := e.cmd(t, true, "reidentify", "--pseudonym", "pA", "--reason", "ticket 1"); code != exitOK {
		t.Fatalf("reidentify: %d %s", code, errs)
	}
	old, _ := os.ReadFile(e.auditLog)
	oldHead, _ := os.ReadFile(audit.CheckpointPath(e.auditLog))
	if code, _, errs := e.cmd(t, true, "reidentify", "--pseudonym", "pB", "--reason", "ticket 2"); code != exitOK {
		t.Fatalf("reidentify: %d %s", code, errs)
	}
	if code, out, errs := e.cmd(t, false, "audit", "verify"); code != exitOK || !strings.Contains(out, "anchored through seq") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	// Reading the trail is policy-checked (bob may not) and audited.
	if code, out, _ := e.cmd(t, false, "audit", "show", "--as", "bob"); code != exitFail || out != "" {
		t.Fatalf("bob audit show: %d %q", code, out)
	}
	if find(e.records(t), "audit.log", "since 0001-01-01T00:00:00Z", audit.OutcomeDenied) == nil {
		t.Fatal("denied audit read not audited")
	}
	writeFile0600(t, e.auditLog, string(old))
	writeFile0600(t, audit.CheckpointPath(e.auditLog), string(oldHead))
	code, _, errs := e.cmd(t, false, "audit", "verify")
	if code != exitFail || !strings.Contains(errs, "FAILED") || !strings.Contains(errs, "rolled back") {
		t.Fatalf("rolled-back verify: %d %q", code, errs)
	}
	if code, out, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "after rollback"); code == exitOK || out != "" {
		t.Fatalf("reidentify on a rolled-back trail: %d %q %q", code, out, errs)
	}
	// Deleting the trail is detected too.
	os.Remove(e.auditLog)
	os.Remove(audit.CheckpointPath(e.auditLog))
	if code, _, errs := e.cmd(t, false, "audit", "verify"); code != exitFail || !strings.Contains(errs, "deleted") {
		t.Fatalf("deleted trail: %d %q", code, errs)
	}
}

// Without a trusted access configuration no PHI command runs.
func TestPHICommandsNeedTrustedAccessConfig(t *testing.T) {
	e := newPHIEnv(t)
	os.Chmod(e.accessCfg, 0o666)
	code, out, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "x")
	if code != exitUsage || out != "" || !strings.Contains(errs, "writable by group or others") {
		t.Fatalf("writable config: %d %q", code, errs)
	}
	os.Chmod(e.accessCfg, 0o600)
	os.Chmod(e.policy, 0o622)
	if code, _, errs := e.cmd(t, false, "vault", "erase", "--pseudonym", "pA", "--reason", "x"); code != exitUsage || !strings.Contains(errs, "policy") {
		t.Fatalf("writable policy: %d %q", code, errs)
	}
}

// The audit trail as WORM objects and the anchors in an object-lock bucket,
// both from the access configuration: commands audit there, `audit verify`
// checks it, and a rolled-back anchor set cannot be produced (deleting an
// anchor fails).
func TestAuditTrailAndAnchorsOnMinIO(t *testing.T) {
	s := miniotest.Start(t)
	e := newPHIEnv(t)
	ak := writeFile0600(t, filepath.Join(e.dir, "minio-ak"), s.AccessKey)
	sk := writeFile0600(t, filepath.Join(e.dir, "minio-sk"), s.SecretKey)
	e.secrets = append(e.secrets, s.SecretKey)
	s3 := func(bucket string) string {
		return "\n  s3: {endpoint: \"" + s.Endpoint + "\", bucket: " + bucket + ", access_key_file: " + ak +
			", secret_key_file: " + sk + ", ca_file: " + s.CAFile + "}"
	}
	auditBucket, anchorBucket := s.NewBucket(t, true), s.NewBucket(t, true)
	writeFile0600(t, e.accessCfg, "policy: policy.yaml\naudit:\n  key_file: audit.key"+s3(auditBucket)+"\nanchor:"+s3(anchorBucket)+"\n")
	if code, _, errs := e.cmd(t, true, "reidentify", "--pseudonym", "pA", "--reason", "ticket 5"); code != exitOK {
		t.Fatalf("reidentify: %d %s", code, errs)
	}
	code, out, errs := e.cmd(t, false, "audit", "verify")
	if code != exitOK || !strings.Contains(out, "s3://"+auditBucket) || strings.Contains(out, "0 anchors") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	st, err := store.NewS3(store.S3Config{Endpoint: s.Endpoint, Bucket: anchorBucket, AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	var anchors []string
	st.List(context.Background(), audit.AnchorPrefix, func(in store.Info) error { anchors = append(anchors, in.Name); return nil })
	if len(anchors) == 0 {
		t.Fatal("no anchor objects")
	}
	if err := st.Delete(context.Background(), anchors[0]); err == nil {
		t.Fatal("anchor deleted from the object-lock bucket")
	}
	// A bucket without object lock is refused for the trail.
	writeFile0600(t, e.accessCfg, "policy: policy.yaml\naudit:\n  key_file: audit.key"+s3(s.NewBucket(t, false))+"\nanchor:"+s3(anchorBucket)+"\n")
	if code, _, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "x"); code == exitOK || !strings.Contains(errs, "object lock") {
		t.Fatalf("plain bucket: %d %q", code, errs)
	}
}

// With run_config in the access configuration the vault is the configured
// one: a caller cannot redirect a privileged command with flags or environment.
func TestVaultFromAccessConfig(t *testing.T) {
	e := newPHIEnv(t)
	rc := writeFile0600(t, filepath.Join(e.dir, "run.yaml"), "vault:\n  dir: "+e.vaultDir+"\nkeys:\n  vault_keyring_file: "+e.keyring+"\n")
	cfg, _ := os.ReadFile(e.accessCfg)
	writeFile0600(t, e.accessCfg, string(cfg)+"run_config: "+rc+"\n")
	t.Setenv("SAFEHARBOR_VAULT_DIR", filepath.Join(e.dir, "elsewhere"))
	runAs("alice")
	var out, errb bytes.Buffer
	if code := dispatch([]string{"reidentify", "--pseudonym", "pA", "--reason", "r"}, nil, &out, &errb); code != exitOK ||
		strings.Count(out.String(), phiA[0]) != 6 {
		t.Fatalf("configured vault: %d %q", code, errb.String())
	}
	if code, _, errs := e.cmd(t, false, "reidentify", "--pseudonym", "pA", "--reason", "r"); code != exitUsage || !strings.Contains(errs, "run_config") {
		t.Fatalf("vault flags accepted: %d %q", code, errs)
	}
}

// Bad records in the vault's DLQ are read through the guard: dlq-read,
// audited before any record is decrypted; --list shows no content.
func TestVaultDLQCommand(t *testing.T) {
	e := newPHIEnv(t)
	w := e.openVault(t).NewWriter(vault.WriterConfig{})
	ctx := context.Background()
	for i := range 3 {
		if _, err := w.WriteDLQ(ctx, vault.Record{Source: "hl7.adt", Partition: 1, Offset: int64(10 + i),
			Data: []byte("PID|garbage " + phiB[0] + " " + strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := e.cmd(t, false, "vault", "dlq", "--as", "bob", "--source", "hl7.adt", "--reason", "triage"); code != exitFail || out != "" || !strings.Contains(errs, "refused") {
		t.Fatalf("bob: %d %q %q", code, out, errs)
	}
	if find(e.records(t), "vault.dlq", "hl7.adt", audit.OutcomeDenied) == nil {
		t.Fatal("denied DLQ read not audited")
	}
	code, out, errs := e.cmd(t, false, "vault", "dlq", "--source", "hl7.adt", "--list", "--reason", "triage")
	if code != exitOK || strings.Count(out, "offset=") != 3 {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	code, out, errs = e.cmd(t, true, "vault", "dlq", "--source", "hl7.adt", "--partition", "1", "--offset", "11", "--reason", "triage")
	if code != exitOK || strings.Count(out, phiB[0]) != 1 || !strings.Contains(out, phiB[0]+" 1") {
		t.Fatalf("show: %d %q %q", code, out, errs)
	}
	rs := e.records(t)
	if r := find(rs, "vault.dlq", "hl7.adt/1/11", audit.OutcomeAllowed); r == nil || r.Detail["records"] != "1" || r.Actor != "alice" {
		t.Fatalf("DLQ read not audited: %+v", r)
	}
	reads := 0
	for _, r := range rs {
		if r.Entity == "vault.record" && r.Detail["area"] == "dlq" {
			reads++
		}
	}
	if reads != 1 {
		t.Fatalf("%d DLQ record reads audited", reads)
	}
}
