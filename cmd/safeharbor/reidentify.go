package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/sinks/access"
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
	out := fs.String("out", "", "write an encrypted, signed extract to this new file (and FILE.sig) instead of stdout; needs --recipient")
	recipient := fs.String("recipient", "", "name of the extract's recipient in the access configuration (extraction.recipients)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if err := checkOutFlags(*out, *recipient); err != nil {
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
	if err := checkOutputAllowed(a, *recipient); err != nil {
		return err
	}
	ev := audit.Event{Entity: "vault.patient", RecordID: *pseudonym, Action: audit.ActionRead, Reason: *reason}
	if *emergency {
		ev.Detail = map[string]string{"emergency_requested": "true"}
	}
	d, err := a.Authorize(ctx, policy.ActionReidentify, *emergency, ev)
	if err != nil {
		return err
	}
	v, err := o.openVault(a)
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
	if *recipient != "" {
		ev.Detail["extract_recipient"] = *recipient
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

	o2 := output{out: *out, recipient: *recipient, cmd: "reidentify", entity: "vault.patient", id: *pseudonym,
		reason: *reason, emergency: d.Emergency}
	return o2.emit(ctx, a, v, refs, stdout, stderr)
}

// checkOutFlags checks --out and --recipient before anything is opened.
func checkOutFlags(out, recipient string) error {
	if (out == "") != (recipient == "") {
		return usagef("--out and --recipient go together: file output is always encrypted to a named recipient and signed")
	}
	if out != "" {
		for _, p := range []string{out, out + ".sig"} {
			if _, err := os.Lstat(p); err == nil {
				return usagef("--out: %s exists; extracts never replace a file", p)
			}
		}
	}
	return nil
}

// checkOutputAllowed checks the recipient against the access configuration,
// or that plaintext output is allowed, before any PHI is read.
func checkOutputAllowed(a *access.Guard, recipient string) error {
	if recipient != "" {
		if err := a.CheckRecipient(recipient); err != nil {
			return usagef("--recipient: %v", err)
		}
	} else if a.RequireEncryption() {
		return usagef("plaintext output is disabled (extraction.require_encryption): give --out FILE --recipient NAME")
	}
	return nil
}

// output is where a PHI command's decrypted records go: stdout, or an
// encrypted, signed extract (out + recipient).
type output struct {
	out, recipient string
	cmd            string // for messages
	entity, id     string // what the audit records name
	reason         string
	emergency      bool
}

// emit decrypts refs (already audited as read) to stdout or into an extract,
// auditing a failure or the extract it created.
func (o output) emit(ctx context.Context, a *access.Guard, v *vault.Vault, refs []vault.Ref, stdout, stderr io.Writer) error {
	w := reidentifyOutput(stdout)
	var buf bytes.Buffer
	if o.recipient != "" {
		w = &buf
	}
	n, werr := writeRecords(ctx, v, refs, w)
	var ext *access.Extract
	if werr == nil && o.recipient != "" {
		if ext, werr = a.Seal(o.recipient, buf.Bytes()); werr == nil {
			if werr = access.WriteExclusive(o.out, ext.Ciphertext); werr == nil {
				if werr = access.WriteExclusive(o.out+".sig", ext.Signature); werr != nil {
					os.Remove(o.out)
				}
			}
		}
		clear(buf.Bytes())
	}
	if werr != nil {
		fail := audit.Event{Entity: o.entity, RecordID: o.id, Action: audit.ActionRead, Reason: o.reason,
			Outcome: audit.OutcomeError, Emergency: o.emergency,
			Detail: map[string]string{"records_written": strconv.Itoa(n), "error": "output, encryption or decryption failed"}}
		_ = a.Record(ctx, fail)
		return fmt.Errorf("after %d of %d records: %w", n, len(refs), werr)
	}
	if ext != nil {
		done := audit.Event{Entity: "extract", RecordID: o.id, Action: audit.ActionCreate, Reason: o.reason,
			Outcome: audit.OutcomeAllowed, Emergency: o.emergency,
			Detail: map[string]string{"recipient": o.recipient, "signer": ext.KeyID[:16], "records": strconv.Itoa(n), "source": o.entity}}
		if err := a.Record(ctx, done); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: %d records encrypted to %s and signed: %s, %s.sig; audited\n", o.cmd, n, o.recipient, o.out, o.out)
	}
	return nil
}

// writeRecords decrypts refs and writes them to w, each after a header line.
// Errors never quote record contents.
func writeRecords(ctx context.Context, v *vault.Vault, refs []vault.Ref, w io.Writer) (int, error) {
	for i, r := range refs {
		rec, err := v.OpenRef(ctx, r)
		if err != nil {
			return i, err
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
