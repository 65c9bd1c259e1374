package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/safeharbor/safeharbor/sinks/audit"
	"github.com/safeharbor/safeharbor/sinks/policy"
	"github.com/safeharbor/safeharbor/sinks/store"
)

// Options tune Open; the zero value is what the CLI uses.
type Options struct {
	// Identify establishes who is acting (default OSUser).
	Identify Identifier
	// Client overrides the identity's client ("pipeline" for the service).
	Client string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AlertLog receives the WARN line of emergency alerts (default os.Stderr).
	AlertLog io.Writer
}

// Guard is one identified actor's access to PHI: it checks the policy, writes
// the audit record and raises alerts. Open one per command or per service.
type Guard struct {
	cfg      *Config
	id       Identity
	pol      *policy.Policy
	log      *audit.Log
	key      *audit.Key
	anchor   audit.Anchor
	now      func() time.Time
	alertLog io.Writer
}

// Refused is returned when the policy denies an action (after the denied
// attempt was audited). It carries the decision's one-line reason.
type Refused struct{ Reason string }

// Error says the action was refused and why.
func (r *Refused) Error() string { return "refused: " + r.Reason }

// Open identifies the actor, loads the policy and the audit key, and opens the
// audit trail (verified against its anchors: a rolled-back trail is not opened).
func Open(ctx context.Context, cfg *Config, o Options) (*Guard, error) {
	if cfg == nil {
		return nil, errors.New("access: no configuration")
	}
	identify := o.Identify
	if identify == nil {
		identify = OSUser
	}
	id, err := identify()
	if err != nil {
		return nil, err
	}
	if o.Client != "" {
		id.Client = o.Client
	}
	g := &Guard{cfg: cfg, id: id, now: o.Now, alertLog: o.AlertLog}
	if g.now == nil {
		g.now = time.Now
	}
	if g.alertLog == nil {
		g.alertLog = os.Stderr
	}
	if cfg.Policy != "" {
		if g.pol, err = policy.Load(cfg.Policy); err != nil {
			return nil, err
		}
	}
	if g.key, err = cfg.loadKey(); err != nil {
		return nil, err
	}
	if g.anchor, err = cfg.openAnchor(ctx); err != nil {
		return nil, err
	}
	if g.log, err = cfg.openLog(ctx, g.key, g.anchor); err != nil {
		return nil, err
	}
	return g, nil
}

// loadKey reads the audit key after the ownership checks of a system config.
func (c *Config) loadKey() (*audit.Key, error) {
	if c.path != "" {
		if err := c.trust.CheckTrusted(c.Audit.KeyFile); err != nil {
			return nil, fmt.Errorf("audit.key_file: %w", err)
		}
	}
	return audit.LoadKey(c.Audit.KeyFile)
}

// Anchor opens the configured anchor.
func (c *Config) openAnchor(ctx context.Context) (audit.Anchor, error) {
	if c.Anchor.S3.Set() {
		st, err := c.Anchor.S3.Open(ctx, "anchor.s3")
		if err != nil {
			return nil, err
		}
		return &audit.StoreAnchor{Store: st, Retention: c.Anchor.Retention.Duration, RequireLock: true}, nil
	}
	if c.Anchor.Dir == "" {
		return nil, errors.New("anchor: not configured")
	}
	return &audit.FileAnchor{Dir: c.Anchor.Dir}, nil
}

func (c *Config) auditStore(ctx context.Context) (store.Store, error) {
	st, err := c.Audit.S3.Open(ctx, "audit.s3")
	if err != nil {
		return nil, err
	}
	if !st.RetentionSupported() {
		return nil, errors.New("audit.s3: the bucket does not enforce object lock (create it with object locking)")
	}
	return st, nil
}

func (c *Config) openLog(ctx context.Context, key *audit.Key, a audit.Anchor) (*audit.Log, error) {
	opts := audit.Options{Anchor: a, Retention: c.Audit.Retention.Duration}
	if c.Audit.S3.Set() {
		st, err := c.auditStore(ctx)
		if err != nil {
			return nil, err
		}
		return audit.OpenStore(ctx, st, key, opts)
	}
	if err := os.MkdirAll(dirOf(c.Audit.Log), 0o700); err != nil {
		return nil, fmt.Errorf("audit.log: %w", err)
	}
	return audit.OpenFile(c.Audit.Log, key, opts)
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i+1]
		}
	}
	return "."
}

// RunConfig returns the run configuration the access configuration names
// for the vault ("" when the caller's flags choose it).
func (g *Guard) RunConfig() string { return g.cfg.RunConfig }

// Identity returns who is acting.
func (g *Guard) Identity() Identity { return g.id }

// Authorize decides whether the actor may perform action on the entity
// described by ev. A denial is audited (outcome denied) and returned as
// *Refused. Emergency access that the policy allows only through break-glass
// raises the configured alert and is audited as an access.emergency record
// first; if the alert cannot be raised the access is refused.
func (g *Guard) Authorize(ctx context.Context, action string, emergency bool, ev audit.Event) (policy.Decision, error) {
	var d policy.Decision
	switch {
	case g.pol == nil && g.cfg.local && action == policy.ActionStore:
		d = policy.Decision{Allowed: true, User: g.id.User, Action: action, Via: "local configuration (no system access configuration)",
			Reason: g.id.User + " allowed to store via the local configuration"}
	case g.pol == nil:
		d = policy.Decision{User: g.id.User, Action: action, Reason: "no policy configured: default deny"}
	default:
		d = g.pol.CheckAt(g.id.User, action, emergency, g.now())
	}
	if !d.Allowed {
		ev.Outcome, ev.Emergency = audit.OutcomeDenied, emergency
		ev.Detail = merge(ev.Detail, map[string]string{"policy": "denied", "policy_action": action})
		if _, err := g.log.Append(ctx, g.fill(ev)); err != nil {
			return d, fmt.Errorf("refused (%s), and the denied attempt could not be audited: %w", d.Reason, err)
		}
		return d, &Refused{Reason: d.Reason}
	}
	if d.Alert {
		emergencyTotal.Add(1)
		a := Alert{Event: EmergencyEvent, Time: g.now().UTC().Format(time.RFC3339), User: g.id.User, Action: action,
			Via: d.Via, RecordID: ev.RecordID, Host: g.id.Client}
		aerr := g.cfg.Alert.raise(ctx, a, g.alertLog)
		rec := audit.Event{Entity: "access.emergency", RecordID: ev.RecordID, Action: ev.Action, Reason: ev.Reason,
			Outcome: audit.OutcomeAllowed, Emergency: true,
			Detail: map[string]string{"policy_action": action, "policy_via": d.Via, "alert": "raised"}}
		if aerr != nil {
			rec.Outcome, rec.Detail["alert"] = audit.OutcomeDenied, "failed"
		}
		if _, err := g.log.Append(ctx, g.fill(rec)); err != nil {
			return d, fmt.Errorf("emergency access: audit: %w", err)
		}
		if aerr != nil {
			return d, &Refused{Reason: "emergency access needs its alert, and the alert hook failed: " + aerr.Error()}
		}
	}
	return d, nil
}

func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func (g *Guard) fill(ev audit.Event) audit.Event {
	ev.Actor, ev.Client = g.id.User, g.id.Client
	if ev.Time.IsZero() {
		ev.Time = g.now()
	}
	return ev
}

// Record audits events as done by the actor, durably and in order, in chunks
// that stay within the log's batch limits.
func (g *Guard) Record(ctx context.Context, evs ...audit.Event) error {
	for len(evs) > 0 {
		n := min(len(evs), 1000)
		batch := make([]audit.Event, n)
		for i := range n {
			batch[i] = g.fill(evs[i])
		}
		if _, err := g.log.AppendBatch(ctx, batch); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		evs = evs[n:]
	}
	return nil
}

// Anchor checkpoints the audit chain's head to the anchor now.
func (g *Guard) Anchor(ctx context.Context) error { return g.log.Anchor(ctx) }

// RunAnchoring anchors the head every anchor.interval until ctx ends,
// reporting failures to onErr (may be nil). Close anchors once more.
func (g *Guard) RunAnchoring(ctx context.Context, onErr func(error)) {
	t := time.NewTicker(g.cfg.Anchor.Interval.Duration)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := g.log.Anchor(ctx); err != nil && onErr != nil {
				onErr(err)
			}
		}
	}
}

// Close anchors the head and closes the audit trail.
func (g *Guard) Close() error { return g.log.Close() }

// ShowAudit prints the audit trail since t, after checking the actor may read
// it (policy action audit-read) and auditing the read.
func (g *Guard) ShowAudit(ctx context.Context, w io.Writer, since time.Time, reason string) error {
	ev := audit.Event{Entity: "audit.log", RecordID: "since " + since.UTC().Format(time.RFC3339), Action: audit.ActionRead, Reason: reason}
	if _, err := g.Authorize(ctx, policy.ActionAuditRead, false, ev); err != nil {
		return err
	}
	ev.Outcome = audit.OutcomeAllowed
	if err := g.Record(ctx, ev); err != nil {
		return err
	}
	return g.log.ShowContext(ctx, w, since)
}

// Verify checks the audit trail named by cfg against its head and its anchors
// without opening it for writing (safeharbor audit verify).
func Verify(ctx context.Context, cfg *Config) (audit.Summary, audit.AnchorReport, error) {
	key, err := cfg.loadKey()
	if err != nil {
		return audit.Summary{}, audit.AnchorReport{}, err
	}
	a, err := cfg.openAnchor(ctx)
	if err != nil {
		return audit.Summary{}, audit.AnchorReport{}, err
	}
	if cfg.Audit.S3.Set() {
		st, err := cfg.auditStore(ctx)
		if err != nil {
			return audit.Summary{}, audit.AnchorReport{}, err
		}
		return audit.VerifyStore(ctx, st, key, a)
	}
	return audit.VerifyFile(ctx, cfg.Audit.Log, key, a)
}

// itoa is strconv.Itoa for details.
func itoa(n int) string { return strconv.Itoa(n) }
