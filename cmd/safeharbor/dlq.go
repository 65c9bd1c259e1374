package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/policy"
	"github.com/safeharbor/safeharbor/sinks/store"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// vaultDLQ shows bad records kept in the vault's dlq/ area (identified
// originals that could not be parsed or de-identified): policy action
// dlq-read, audited before any record is decrypted, to stdout or as an
// encrypted, signed extract. --list prints only their metadata (no PHI).
func vaultDLQ(args []string, stdout, stderr io.Writer) error {
	var o phiFlags
	fs := flag.NewFlagSet("vault dlq", flag.ContinueOnError)
	o.register(fs, true, true)
	source := fs.String("source", "", "input topic of the bad records (required)")
	partition := fs.Int("partition", -1, "only this partition")
	offset := fs.Int64("offset", -1, "only the record at this offset (needs --partition)")
	list := fs.Bool("list", false, "list the records (source, partition, offset, time, size) without their content")
	reason := fs.String("reason", "", "why (required; recorded in the audit trail, no PHI)")
	out := fs.String("out", "", "write an encrypted, signed extract to this new file (and FILE.sig); needs --recipient")
	recipient := fs.String("recipient", "", "name of the extract's recipient in the access configuration")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *source == "" {
		return usagef("--source is required")
	}
	if *offset >= 0 && *partition < 0 {
		return usagef("--offset needs --partition")
	}
	if strings.TrimSpace(*reason) == "" {
		return usagef("--reason is required")
	}
	if err := checkOutFlags(*out, *recipient); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := o.openGuard(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if !*list {
		if err := checkOutputAllowed(a, *recipient); err != nil {
			return err
		}
	}
	id := vault.SanitizeSource(*source)
	if *partition >= 0 {
		id += "/" + strconv.Itoa(*partition)
	}
	if *offset >= 0 {
		id += "/" + strconv.FormatInt(*offset, 10)
	}
	ev := audit.Event{Entity: "vault.dlq", RecordID: id, Action: audit.ActionRead, Reason: *reason}
	if *list {
		ev.Detail = map[string]string{"content": "metadata only"}
	}
	d, err := a.Authorize(ctx, policy.ActionDLQRead, false, ev)
	if err != nil {
		return err
	}
	v, st, err := o.openVaultStore(a)
	if err != nil {
		return err
	}
	refs, err := dlqRefs(ctx, v, st, *source, *partition, *offset)
	if err != nil {
		fail := ev
		fail.Outcome, fail.Detail = audit.OutcomeError, map[string]string{"error": errorClass(err)}
		_ = a.Record(ctx, fail)
		return err
	}
	ev.Outcome = audit.OutcomeAllowed
	ev.Detail = merge(ev.Detail, map[string]string{"policy_via": d.Via, "records": strconv.Itoa(len(refs))})
	evs := []audit.Event{ev}
	if !*list {
		for _, r := range refs {
			evs = append(evs, audit.Event{Entity: "vault.record", RecordID: recordID(r), Action: audit.ActionRead,
				Reason: *reason, Outcome: audit.OutcomeAllowed, Detail: map[string]string{"area": "dlq"}})
		}
	}
	if err := a.Record(ctx, evs...); err != nil {
		return fmt.Errorf("%w; nothing returned", err)
	}
	if *list {
		for _, r := range refs {
			fmt.Fprintf(stdout, "%s partition=%d offset=%d segment=%s#%d\n", vault.SanitizeSource(r.Source), r.Partition, r.Offset, r.Segment, r.Index)
		}
		fmt.Fprintf(stderr, "vault dlq: %d records; audited\n", len(refs))
		return nil
	}
	if len(refs) == 0 {
		fmt.Fprintln(stderr, "vault dlq: no records; audited")
		return nil
	}
	oo := output{out: *out, recipient: *recipient, cmd: "vault dlq", entity: "vault.dlq", id: id, reason: *reason}
	return oo.emit(ctx, a, v, refs, stdout, stderr)
}

// dlqRefs lists the DLQ records of source (and partition, offset when >= 0).
func dlqRefs(ctx context.Context, v *vault.Vault, st store.Store, source string, partition int, offset int64) ([]vault.Ref, error) {
	prefix := "dlq/" + vault.SanitizeSource(source) + "/"
	if partition >= 0 {
		prefix += strconv.Itoa(partition) + "/"
	}
	var names []string
	if err := st.List(ctx, prefix, func(in store.Info) error {
		if strings.HasSuffix(in.Name, ".seg") {
			names = append(names, in.Name)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []vault.Ref
	for _, n := range names {
		refs, err := v.Refs(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if offset < 0 || r.Offset == offset {
				out = append(out, r)
			}
		}
	}
	return out, nil
}
