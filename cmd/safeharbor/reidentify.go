package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/policy"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

func init() {
	register(command{name: "reidentify", summary: "return a patient's identified originals from the vault (policy-checked, audited first)", run: runReidentify})
}

// reidentifyOutput is where decrypted records go; tests replace it to make writing fail.
var reidentifyOutput = func(stdout io.Writer) io.Writer { return stdout }

func runReidentify(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	err := reidentify(args, stdout, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "reidentify: %v\n", err)
		return exitCode(err)
	}
	return exitOK
}

func reidentify(args []string, stdout, stderr io.Writer) error {
	var o phiFlags
	fs := flag.NewFlagSet("reidentify", flag.ContinueOnError)
	o.register(fs, true, true)
	pseudonym := fs.String("pseudonym", "", "pseudonym of the patient (required)")
	reason := fs.String("reason", "", "why (required; recorded in the audit trail, no PHI)")
	emergency := fs.Bool("emergency", false, "break-glass access when the normal approver is unavailable (flagged, alerted, reviewed)")
	outDir := fs.String("out", "", "write each record to a file (mode 0600) in this directory instead of stdout")
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
	ev := audit.Event{Entity: "vault.patient", RecordID: *pseudonym, Action: audit.ActionRead, Reason: *reason}
	if *emergency {
		ev.Detail = map[string]string{"emergency_requested": "true"}
	}
	d, err := a.Authorize(ctx, policy.ActionReidentify, *emergency, ev)
	if err != nil {
		return err
	}
	v, err := o.openVault()
	if err != nil {
		return err
	}
	refs, err := v.FindByPseudonym(ctx, *pseudonym)
	if err != nil {
		fail := audit.Event{Entity: "vault.patient", RecordID: *pseudonym, Action: audit.ActionRead, Reason: *reason,
			Outcome: audit.OutcomeError, Emergency: d.Emergency, Detail: map[string]string{"error": errorClass(err)}}
		if aerr := a.Record(ctx, fail); aerr != nil {
			return fmt.Errorf("%w (and auditing the failure: %v)", err, aerr)
		}
		return err
	}

	// Audit first: the access and every record about to be returned, before any
	// record is decrypted or written.
	ev.Outcome, ev.Emergency = audit.OutcomeAllowed, d.Emergency
	ev.Detail = merge(ev.Detail, map[string]string{"policy_via": d.Via, "records": strconv.Itoa(len(refs))})
	if d.Emergency {
		ev.Detail["approval"] = "emergency"
	}
	evs := []audit.Event{ev}
	for _, r := range refs {
		evs = append(evs, audit.Event{Entity: "vault.record", RecordID: recordID(r), Action: audit.ActionRead,
			Reason: *reason, Outcome: audit.OutcomeAllowed, Emergency: d.Emergency,
			Detail: map[string]string{"pseudonym": *pseudonym, "type": r.MessageType}})
	}
	if err := a.Record(ctx, evs...); err != nil {
		return fmt.Errorf("%w; nothing returned", err)
	}
	if len(refs) == 0 {
		fmt.Fprintf(stderr, "reidentify: no records for pseudonym %s (never stored, purged or erased); audited\n", *pseudonym)
		return nil
	}

	n, werr := writeRecords(ctx, v, refs, *outDir, reidentifyOutput(stdout))
	if werr != nil {
		fail := audit.Event{Entity: "vault.patient", RecordID: *pseudonym, Action: audit.ActionRead, Reason: *reason,
			Outcome: audit.OutcomeError, Emergency: d.Emergency,
			Detail: map[string]string{"records_written": strconv.Itoa(n), "error": "output or decryption failed"}}
		_ = a.Record(ctx, fail)
		return fmt.Errorf("after %d of %d records: %w", n, len(refs), werr)
	}
	if *outDir != "" {
		fmt.Fprintf(stderr, "reidentify: wrote %d records to %s; audited\n", n, *outDir)
	}
	return nil
}

// writeRecords decrypts refs and writes them to outDir (one 0600 file each) or w.
// Errors never quote record contents.
func writeRecords(ctx context.Context, v *vault.Vault, refs []vault.Ref, outDir string, w io.Writer) (int, error) {
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o700); err != nil {
			return 0, fmt.Errorf("--out: %w", err)
		}
	}
	for i, r := range refs {
		rec, err := v.OpenRef(ctx, r)
		if err != nil {
			return i, err
		}
		if outDir != "" {
			name := filepath.Join(outDir, fmt.Sprintf("%s-%d-%020d.msg", vault.SanitizeSource(r.Source), r.Partition, r.Offset))
			if r.DLQ {
				name = strings.TrimSuffix(name, ".msg") + ".dlq.msg"
			}
			f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return i, fmt.Errorf("--out: %w", err)
			}
			_, err = f.Write(rec.Data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return i, fmt.Errorf("--out: write %s: %w", filepath.Base(name), err)
			}
			continue
		}
		t := ""
		if !rec.Time.IsZero() {
			t = " time=" + rec.Time.Format(time.RFC3339)
		}
		hdr := fmt.Sprintf("# record %d/%d source=%s partition=%d offset=%d type=%s%s bytes=%d\n",
			i+1, len(refs), vault.SanitizeSource(rec.Source), rec.Partition, rec.Offset, rec.MessageType, t, len(rec.Data))
		buf := make([]byte, 0, len(hdr)+len(rec.Data)+1)
		buf = append(append(append(buf, hdr...), rec.Data...), '\n')
		if _, err := w.Write(buf); err != nil {
			return i, fmt.Errorf("write output: %w", err)
		}
	}
	return len(refs), nil
}
