package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/safeharbor/safeharbor/config"
	"github.com/safeharbor/safeharbor/sinks/access"
	"github.com/safeharbor/safeharbor/sinks/audit"
)

func init() {
	register(command{name: "audit", summary: "audit trail: verify against its head and WORM anchors (exit 1 naming the first bad record), show [--since T]", run: runAudit})
}

func runAudit(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: safeharbor audit verify|show [--since T]   (trail, key and anchor from the system access configuration)")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var err error
	switch args[0] {
	case "verify":
		err = auditVerify(args[1:], stdout, stderr)
	case "show":
		err = auditShow(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "audit: unknown subcommand %q (want verify or show)\n", args[0])
		return exitUsage
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "audit %s: %v\n", args[0], err)
		return exitCode(err)
	}
	return exitOK
}

// auditVerify checks the whole chain against the signed head and the anchors,
// without opening the trail for writing: edits, deletions, insertions,
// reordering, truncation, rollback to an older copy and deletion of the whole
// trail are reported (exit 1).
func auditVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	runCfg := fs.String("config", "", "run configuration whose local audit trail to verify (only when no system access configuration exists; default: the embedded defaults, var/audit)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg, err := access.LoadConfig(accessLoad)
	if errors.Is(err, access.ErrNoConfig) {
		// A single-host run's local trail (see run).
		rc, lerr := config.Load(*runCfg, os.Getenv)
		if lerr != nil {
			return usagef("%v", lerr)
		}
		cfg, err = access.LocalConfig(rc.Audit.Log, rc.Keys.AuditKeyFile, rc.Audit.AnchorDir), nil
	} else if err == nil && *runCfg != "" {
		return usagef("--config: the trail is the system access configuration's (%s)", cfg.Path())
	}
	if err != nil {
		return usagef("%v", err)
	}
	sum, rep, err := access.Verify(context.Background(), cfg)
	if err != nil {
		var ke *audit.KeyError
		var te *access.TrustError
		if errors.As(err, &ke) || errors.As(err, &te) {
			return usagef("%v", err)
		}
		return fmt.Errorf("FAILED: %w", err)
	}
	where := cfg.Audit.Log
	if where == "" {
		where = "s3://" + cfg.Audit.S3.Bucket
	}
	fmt.Fprintf(stdout, "audit log %s verified: %d records, last seq %d; %d anchors, anchored through seq %d (%d records since the last anchor)\n",
		where, sum.Records, sum.LastSeq, rep.Anchors, rep.AnchoredSeq, rep.Unanchored)
	return nil
}

// auditShow prints the trail to a user the policy allows to read it
// (audit-read); the read is itself audited.
func auditShow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit show", flag.ContinueOnError)
	since := fs.String("since", "", "only records at or after this time (2006-01-02, RFC 3339, or a duration such as 24h)")
	reason := fs.String("reason", "audit review", "why (recorded in the audit trail, no PHI)")
	var o phiFlags
	o.register(fs, false, true)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	var t time.Time
	var err error
	if *since != "" {
		if t, err = parseTime(*since); err != nil {
			return err
		}
	}
	ctx := context.Background()
	g, err := o.openGuard(ctx, stderr)
	if err != nil {
		return fmt.Errorf("%w (run 'safeharbor audit verify' for details)", err)
	}
	defer g.Close()
	return g.ShowAudit(ctx, stdout, t, *reason)
}
