package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/safeharbor/safeharbor/sinks/audit"
)

func init() {
	register(command{name: "audit", summary: "audit trail: verify (exit 1 naming the first bad record), show [--since T]", run: runAudit})
}

func runAudit(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: safeharbor audit verify|show --audit-log FILE --audit-key-file FILE [--since T]")
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

func auditFlags(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*phiFlags, *audit.Key, error) {
	var o phiFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o.register(fs, false, false)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return nil, nil, err
	}
	if o.auditLog == "" || o.auditKeyFile == "" {
		return nil, nil, usagef("--audit-log and --audit-key-file are required")
	}
	if _, err := os.Stat(o.auditLog); err != nil {
		return nil, nil, fmt.Errorf("audit log: %w", err)
	}
	key, err := audit.LoadKey(o.auditKeyFile)
	if err != nil {
		return nil, nil, usagef("%v", err)
	}
	return &o, key, nil
}

// auditVerify checks the whole chain against the signed checkpoint, without opening
// the log for writing. A missing checkpoint is itself a failure (it detects truncation).
func auditVerify(args []string, stdout, stderr io.Writer) error {
	o, key, err := auditFlags("audit verify", args, stderr, nil)
	if err != nil {
		return err
	}
	cpb, err := os.ReadFile(audit.CheckpointPath(o.auditLog))
	if err != nil {
		return fmt.Errorf("FAILED: checkpoint %s: %w", audit.CheckpointPath(o.auditLog), err)
	}
	cp, err := audit.ParseCheckpoint(key, cpb)
	if err != nil {
		return fmt.Errorf("FAILED: %w", err)
	}
	f, err := os.Open(o.auditLog)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, err := audit.Verify(f, key, cp)
	if err != nil {
		return fmt.Errorf("FAILED: %w", err)
	}
	fmt.Fprintf(stdout, "audit log %s verified: %d records, last seq %d\n", o.auditLog, sum.Records, sum.LastSeq)
	return nil
}

func auditShow(args []string, stdout, stderr io.Writer) error {
	var since string
	o, key, err := auditFlags("audit show", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&since, "since", "", "only records at or after this time (2006-01-02, RFC 3339, or a duration such as 24h)")
	})
	if err != nil {
		return err
	}
	var t time.Time
	if since != "" {
		if t, err = parseTime(since); err != nil {
			return err
		}
	}
	l, err := audit.OpenFile(o.auditLog, key, audit.Options{})
	if err != nil {
		return fmt.Errorf("%w (run 'safeharbor audit verify' for details)", err)
	}
	defer l.Close()
	return l.ShowContext(context.Background(), stdout, t)
}
