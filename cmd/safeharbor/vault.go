package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/config"
	"github.com/safeharbor/safeharbor/sinks/access"
	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/policy"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

func init() {
	register(command{name: "vault", summary: "vault administration: erase, purge, rotate, dlq (policy-checked, audited)", run: runVault})
}

// phiFlags are the flags shared by the commands that touch the vault. Who is
// acting, the access policy, the audit trail and its key are not flags: they
// come from the OS account and the system access configuration (sinks/access).
// Secrets come from files (mode 0600) or the environment and are never printed.
type phiFlags struct {
	config          string
	vaultDir        string
	s3Endpoint      string
	s3Bucket        string
	s3Region        string
	s3CAFile        string
	s3AccessKeyFile string
	s3SecretKeyFile string
	s3Insecure      bool
	keyring         string
	user            string
	getenv          func(string) string
}

func (o *phiFlags) register(fs *flag.FlagSet, vaultFlags, accessFlags bool) {
	if vaultFlags {
		fs.StringVar(&o.config, "config", "", "run configuration file (vault target and keyring); flags override it")
		fs.StringVar(&o.vaultDir, "vault-dir", "", "local vault directory")
		fs.StringVar(&o.s3Endpoint, "s3-endpoint", "", "S3/MinIO endpoint host:port of the vault (instead of --vault-dir)")
		fs.StringVar(&o.s3Bucket, "s3-bucket", "", "S3 bucket of the vault")
		fs.StringVar(&o.s3Region, "s3-region", "", "S3 region")
		fs.StringVar(&o.s3CAFile, "s3-ca-file", "", "PEM CA bundle trusted for the S3 endpoint")
		fs.StringVar(&o.s3AccessKeyFile, "s3-access-key-file", "", "file holding the S3 access key (or $SAFEHARBOR_VAULT_S3_ACCESS_KEY)")
		fs.StringVar(&o.s3SecretKeyFile, "s3-secret-key-file", "", "file holding the S3 secret key (or $SAFEHARBOR_VAULT_S3_SECRET_KEY)")
		fs.BoolVar(&o.s3Insecure, "s3-insecure", false, "plain HTTP to S3 (never in production)")
		fs.StringVar(&o.keyring, "keyring", "", "vault keyring file, mode 0600 (required unless --config names one)")
	}
	if accessFlags {
		fs.StringVar(&o.user, "user", "", "optional check: must equal the OS account running the command (the acting identity is always the OS account)")
	}
}

func (o *phiFlags) env(k string) string {
	if o.getenv == nil {
		return os.Getenv(k)
	}
	return o.getenv(k)
}

// usageError marks errors that are the caller's fault (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFail
}

// readSecret reads a secret file that group and others can not access.
func readSecret(flagName, path string) (string, error) {
	v, err := access.ReadSecretFile("--"+flagName, path)
	if err != nil {
		return "", usagef("%v", err)
	}
	return v, nil
}

// openVault opens the vault named by the access configuration's run_config,
// or else by the flags (or the --config file).
func (o *phiFlags) openVault(g *access.Guard) (*vault.Vault, error) {
	v, _, err := o.openVaultStore(g)
	return v, err
}

// openVaultStore is openVault that also returns the vault's store.
func (o *phiFlags) openVaultStore(g *access.Guard) (*vault.Vault, store.Store, error) {
	var t config.Target
	keyring := o.keyring
	getenv := o.env
	if rc := g.RunConfig(); rc != "" {
		// The vault of a privileged install: no flags, no environment overrides.
		o.config, getenv = rc, func(string) string { return "" }
	}
	if o.config != "" {
		c, err := config.Load(o.config, getenv)
		if err != nil {
			return nil, nil, usagef("--config: %v", err)
		}
		t = c.Vault
		if keyring == "" {
			keyring = c.Keys.KeyringFile
		}
	}
	if o.vaultDir != "" || o.s3Endpoint != "" {
		t = config.Target{Dir: o.vaultDir}
		t.S3.Endpoint, t.S3.Bucket, t.S3.Region, t.S3.CAFile, t.S3.Insecure = o.s3Endpoint, o.s3Bucket, o.s3Region, o.s3CAFile, o.s3Insecure
		t.S3.AccessKeyFile, t.S3.SecretKeyFile = o.s3AccessKeyFile, o.s3SecretKeyFile
	}
	if o.vaultDir != "" && o.s3Endpoint != "" {
		return nil, nil, usagef("give either --vault-dir or --s3-endpoint, not both")
	}
	if t.Dir == "" && !t.S3.Set() {
		return nil, nil, usagef("no vault: give --vault-dir DIR, --s3-endpoint/--s3-bucket, or --config FILE")
	}
	if keyring == "" {
		return nil, nil, usagef("--keyring is required (there are no default keys)")
	}
	kr, err := vault.LoadKeyring(keyring)
	if err != nil {
		return nil, nil, usagef("%v", err)
	}
	var st store.Store
	if !t.S3.Set() {
		if _, err := os.Stat(t.Dir); err != nil {
			return nil, nil, usagef("vault directory: %v", err)
		}
		l, err := store.NewLocal(t.Dir)
		if err != nil {
			return nil, nil, usagef("vault directory: %v", err)
		}
		st = l
	} else {
		if t.S3.Bucket == "" {
			return nil, nil, usagef("--s3-bucket is required with --s3-endpoint")
		}
		if t.S3.AccessKey == "" {
			if t.S3.AccessKey = getenv("SAFEHARBOR_VAULT_S3_ACCESS_KEY"); t.S3.AccessKey == "" {
				if t.S3.AccessKeyFile == "" {
					return nil, nil, usagef("S3 access key: give --s3-access-key-file or set SAFEHARBOR_VAULT_S3_ACCESS_KEY")
				}
				if t.S3.AccessKey, err = readSecret("s3-access-key-file", t.S3.AccessKeyFile); err != nil {
					return nil, nil, err
				}
			}
		}
		if t.S3.SecretKey == "" {
			if t.S3.SecretKey = getenv("SAFEHARBOR_VAULT_S3_SECRET_KEY"); t.S3.SecretKey == "" {
				if t.S3.SecretKeyFile == "" {
					return nil, nil, usagef("S3 secret key: give --s3-secret-key-file or set SAFEHARBOR_VAULT_S3_SECRET_KEY")
				}
				if t.S3.SecretKey, err = readSecret("s3-secret-key-file", t.S3.SecretKeyFile); err != nil {
					return nil, nil, err
				}
			}
		}
		if st, err = t.Open(context.Background(), "vault"); err != nil {
			return nil, nil, err
		}
	}
	v, err := vault.New(vault.Config{Store: st, Keyring: kr})
	return v, st, err
}

// Test seams: how commands load the access configuration and identify the
// actor. Production code never changes them.
var (
	accessLoad access.LoadOptions
	accessOpen access.Options
)

// openGuard opens the access guard of the system configuration for the OS
// account running the command. --user, when given, must name that account.
func (o *phiFlags) openGuard(ctx context.Context, stderr io.Writer) (*access.Guard, error) {
	cfg, err := access.LoadConfig(accessLoad)
	if err != nil {
		return nil, usagef("%v", err)
	}
	opts := accessOpen
	if opts.AlertLog == nil {
		opts.AlertLog = stderr
	}
	g, err := access.Open(ctx, cfg, opts)
	if err != nil {
		var te *access.TrustError
		var ke *audit.KeyError
		if errors.As(err, &te) || errors.As(err, &ke) {
			return nil, usagef("%v", err)
		}
		return nil, err
	}
	if g.RunConfig() != "" && (o.config != "" || o.vaultDir != "" || o.s3Endpoint != "" || o.keyring != "") {
		g.Close()
		return nil, usagef("the vault and keyring come from the access configuration (run_config %s): --config, --vault-dir, --s3-* and --keyring are not accepted", g.RunConfig())
	}
	if o.user != "" && o.user != g.Identity().User {
		g.Close()
		return nil, usagef("--user %q is not the OS account running this command (%q): the acting identity is the OS account, never a flag", o.user, g.Identity().User)
	}
	return g, nil
}

func runVault(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: safeharbor vault erase|purge|rotate|dlq [flags]   (safeharbor vault <sub> -h for flags)")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var err error
	switch args[0] {
	case "erase":
		err = vaultErase(args[1:], stdout, stderr)
	case "purge":
		err = vaultPurge(args[1:], stdout, stderr)
	case "rotate":
		err = vaultRotate(args[1:], stdout, stderr)
	case "dlq":
		err = vaultDLQ(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "vault: unknown subcommand %q (want erase, purge, rotate or dlq)\n", args[0])
		return exitUsage
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "vault %s: %v\n", args[0], err)
		return exitCode(err)
	}
	return exitOK
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

func vaultErase(args []string, stdout, stderr io.Writer) error {
	var o phiFlags
	fs := flag.NewFlagSet("vault erase", flag.ContinueOnError)
	o.register(fs, true, true)
	pseudonym := fs.String("pseudonym", "", "pseudonym of the patient to crypto-shred (required)")
	reason := fs.String("reason", "", "why (required; recorded in the audit trail, no PHI)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if !vault.ValidPseudonym(*pseudonym) {
		return usagef("--pseudonym is required: 1-128 characters of [A-Za-z0-9._=~-]")
	}
	if strings.TrimSpace(*reason) == "" {
		return usagef("--reason is required")
	}
	ctx := context.Background()
	a, err := o.openGuard(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	ev := audit.Event{Entity: "vault.key", RecordID: *pseudonym, Action: audit.ActionDelete, Reason: *reason}
	d, err := a.Authorize(ctx, policy.ActionErase, false, ev)
	if err != nil {
		return err
	}
	v, err := o.openVault(a)
	if err != nil {
		return err
	}
	res, opErr := v.Erase(ctx, *pseudonym)
	ev.Outcome = audit.OutcomeAllowed
	ev.Detail = map[string]string{"policy_via": d.Via, "key_deleted": strconv.FormatBool(res.KeyDeleted),
		"records": strconv.Itoa(len(res.Records)), "segments": strconv.Itoa(len(res.Segments))}
	if opErr != nil {
		ev.Outcome = audit.OutcomeError
		ev.Detail["error"] = errorClass(opErr)
	}
	evs := []audit.Event{ev}
	for _, r := range res.Records {
		evs = append(evs, audit.Event{Entity: "vault.record", RecordID: recordID(r), Action: audit.ActionDelete,
			Reason: *reason, Outcome: ev.Outcome, Detail: map[string]string{"pseudonym": *pseudonym, "how": "crypto-shred"}})
	}
	if err := a.Record(ctx, evs...); err != nil {
		return err
	}
	if opErr != nil {
		return opErr
	}
	if !res.KeyDeleted {
		fmt.Fprintf(stdout, "pseudonym %s had no data key (already erased or never stored); audited\n", *pseudonym)
		return nil
	}
	fmt.Fprintf(stdout, "erased pseudonym %s: data key deleted, %d records in %d segments are now unreadable; audited\n",
		*pseudonym, len(res.Records), len(res.Segments))
	return nil
}

// recordID names one stored record for the audit trail (no PHI: segment and index).
func recordID(r vault.Ref) string { return r.Segment + "#" + strconv.Itoa(r.Index) }

// errorClass is a PHI-free summary of a vault error for audit details.
func errorClass(err error) string {
	for _, e := range []error{vault.ErrErased, vault.ErrCorrupt, vault.ErrUnknownKey, vault.ErrNotFound, vault.ErrInvalid} {
		if errors.Is(err, e) {
			return strings.TrimPrefix(strings.SplitN(e.Error(), " (", 2)[0], "vault: ")
		}
	}
	return "store error"
}

// parseTime accepts 2006-01-02, RFC 3339, or a duration back from now (720h).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, usagef("%q is not a time: use 2006-01-02, RFC 3339 or a duration back from now such as 720h", s)
}

func vaultPurge(args []string, stdout, stderr io.Writer) error {
	var o phiFlags
	fs := flag.NewFlagSet("vault purge", flag.ContinueOnError)
	o.register(fs, true, true)
	before := fs.String("before", "", "delete segments whose newest record is older than this (required)")
	reason := fs.String("reason", "retention", "why (recorded in the audit trail, no PHI)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *before == "" {
		return usagef("--before is required")
	}
	t, err := parseTime(*before)
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := o.openGuard(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	cutoff := t.UTC().Format(time.RFC3339)
	ev := audit.Event{Entity: "vault.segment", RecordID: "before " + cutoff, Action: audit.ActionDelete, Reason: *reason}
	d, err := a.Authorize(ctx, policy.ActionPurge, false, ev)
	if err != nil {
		return err
	}
	v, err := o.openVault(a)
	if err != nil {
		return err
	}
	res, opErr := v.Purge(ctx, t)
	ev.Outcome = audit.OutcomeAllowed
	ev.Detail = map[string]string{"policy_via": d.Via, "segments": strconv.Itoa(len(res.Segments)),
		"records": strconv.Itoa(res.Records), "skipped": strconv.Itoa(len(res.Skipped))}
	if opErr != nil {
		ev.Outcome = audit.OutcomeError
		ev.Detail["error"] = errorClass(opErr)
	}
	evs := []audit.Event{ev}
	for _, s := range res.Segments {
		evs = append(evs, audit.Event{Entity: "vault.segment", RecordID: s, Action: audit.ActionDelete, Reason: *reason,
			Outcome: ev.Outcome, Detail: map[string]string{"before": cutoff}})
	}
	if err := a.Record(ctx, evs...); err != nil {
		return err
	}
	if opErr != nil {
		return opErr
	}
	fmt.Fprintf(stdout, "purged %d segments (%d records) older than %s; %d unreadable segments kept; audited\n",
		len(res.Segments), res.Records, cutoff, len(res.Skipped))
	return nil
}

func vaultRotate(args []string, stdout, stderr io.Writer) error {
	var o phiFlags
	fs := flag.NewFlagSet("vault rotate", flag.ContinueOnError)
	o.register(fs, true, true)
	reason := fs.String("reason", "key rotation", "why (recorded in the audit trail, no PHI)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := o.openGuard(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	ev := audit.Event{Entity: "vault.kek", RecordID: "rotate", Action: audit.ActionUpdate, Reason: *reason}
	d, err := a.Authorize(ctx, policy.ActionRotate, false, ev)
	if err != nil {
		return err
	}
	v, err := o.openVault(a)
	if err != nil {
		return err
	}
	res, opErr := v.Rotate(ctx)
	ev.RecordID = "rotate to " + res.KeyID
	ev.Outcome = audit.OutcomeAllowed
	ev.Detail = map[string]string{"policy_via": d.Via, "kek_id": res.KeyID, "keys": strconv.Itoa(len(res.Keys)),
		"segments": strconv.Itoa(len(res.Segments))}
	if opErr != nil {
		ev.Outcome = audit.OutcomeError
		ev.Detail["error"] = errorClass(opErr)
	}
	evs := []audit.Event{ev}
	for _, p := range res.Keys {
		evs = append(evs, audit.Event{Entity: "vault.key", RecordID: p, Action: audit.ActionUpdate, Reason: *reason,
			Outcome: ev.Outcome, Detail: map[string]string{"kek_id": res.KeyID}})
	}
	for _, s := range res.Segments {
		evs = append(evs, audit.Event{Entity: "vault.segment", RecordID: s, Action: audit.ActionUpdate, Reason: *reason,
			Outcome: ev.Outcome, Detail: map[string]string{"kek_id": res.KeyID}})
	}
	if err := a.Record(ctx, evs...); err != nil {
		return err
	}
	if opErr != nil {
		return opErr
	}
	fmt.Fprintf(stdout, "rotated to key id %s: %d data keys and %d segments rewrapped; audited\n", res.KeyID, len(res.Keys), len(res.Segments))
	return nil
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
