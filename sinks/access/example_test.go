package access_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeharbor/safeharbor/sinks/access"
	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/policy"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// A pipeline's guard: identify, check the policy (here the local
// configuration: the running account may store), audit, then act.
func ExampleGuard() {
	dir, _ := os.MkdirTemp("", "guard")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "audit.key"), []byte(strings.Repeat("ab", 32)), 0o600)
	cfg := access.LocalConfig(filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "audit.key"), filepath.Join(dir, "anchors"))
	ctx := context.Background()
	g, err := access.Open(ctx, cfg, access.Options{Client: "pipeline",
		Identify: func() (access.Identity, error) { return access.Identity{User: "svc-pipeline"}, nil }})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = g.Authorize(ctx, policy.ActionStore, false, audit.Event{Entity: "vault", RecordID: "var/vault", Action: audit.ActionCreate})
	fmt.Println("store:", err)
	_, err = g.Authorize(ctx, policy.ActionReidentify, false, audit.Event{Entity: "vault.patient", RecordID: "p1", Action: audit.ActionRead, Reason: "x"})
	fmt.Println("reidentify:", err)
	fmt.Println(g.AuditVaultWrites(ctx, []vault.FlushResult{{Segment: "segments/hl7/0/a.seg", Records: 10}}))
	fmt.Println(g.Close())
	sum, rep, err := access.Verify(ctx, cfg)
	fmt.Println(sum.Records, rep.AnchoredSeq, err)
	// Output:
	// store: <nil>
	// reidentify: refused: no policy configured: default deny
	// <nil>
	// <nil>
	// 2 2 <nil>
}
