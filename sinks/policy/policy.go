package policy

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The actions a policy governs.
const (
	ActionReidentify = "reidentify"
	ActionErase      = "erase"
	ActionPurge      = "purge"
	ActionRotate     = "rotate"
	// ActionStore is the pipeline writing originals and bad records to the vault.
	ActionStore = "store"
	// ActionAuditRead is reading the audit trail (safeharbor audit show).
	ActionAuditRead = "audit-read"
	// ActionDLQRead is reading bad records kept in the vault's DLQ (safeharbor vault dlq).
	ActionDLQRead = "dlq-read"
)

// Actions lists every governed action.
var Actions = []string{ActionReidentify, ActionErase, ActionPurge, ActionRotate, ActionStore, ActionAuditRead, ActionDLQRead}

// MaxFileSize bounds a policy file.
const MaxFileSize = 1 << 20

// Error is a problem in a policy file, with its position (Line and Column are
// 1-based; Column is 0 when the YAML parser gives only a line).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error formats the problem as file:line:column: message.
func (e *Error) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("policy: %s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	if e.Line > 0 {
		return fmt.Sprintf("policy: %s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("policy: %s: %s", e.File, e.Msg)
}

// Policy is a parsed, validated access policy. It is immutable and safe for concurrent use.
type Policy struct {
	users  map[string]bool
	groups map[string][]string        // group -> members
	member map[string][]string        // user -> groups (sorted)
	allow  map[string]map[string]bool // action -> user or group names
	emerg  map[string]map[string]bool
	// emergExpires, when not zero, is when every emergency rule stops applying.
	emergExpires time.Time
}

// Decision is the outcome of Check. Callers audit every decision, allowed or
// denied, and raise an alert when Alert is set.
type Decision struct {
	Allowed bool
	// Emergency is true when the action is allowed only through break-glass access.
	Emergency bool
	// Alert asks the caller to raise an alert (emergency access was used).
	Alert  bool
	User   string
	Action string
	// Via names the rule that allowed it ("user alice" or "group privacy").
	Via string
	// Reason explains the decision in one line (no PHI: only user, group and action names).
	Reason string
}

// Check decides whether user may perform action. emergency says the user
// invoked break-glass access. Anything not explicitly allowed is denied.
func (p *Policy) Check(user, action string, emergency bool) Decision {
	return p.CheckAt(user, action, emergency, time.Now())
}

// CheckAt is Check at time now (emergency rules expire at emergency_expires).
func (p *Policy) CheckAt(user, action string, emergency bool, now time.Time) Decision {
	d := Decision{User: user, Action: action}
	if p == nil {
		d.Reason = "no policy loaded: default deny"
		return d
	}
	if !slices.Contains(Actions, action) {
		d.Reason = fmt.Sprintf("unknown action %q: default deny", action)
		return d
	}
	if !p.users[user] {
		d.Reason = fmt.Sprintf("user %q is not in the policy: default deny", user)
		return d
	}
	if via := p.match(p.allow[action], user); via != "" {
		d.Allowed, d.Via = true, via
		d.Reason = fmt.Sprintf("%s allowed to %s via %s", user, action, via)
		if emergency {
			d.Reason += " (emergency not needed)"
		}
		return d
	}
	if emergency {
		if via := p.match(p.emerg[action], user); via != "" && !p.emergExpires.IsZero() && !now.Before(p.emergExpires) {
			d.Reason = fmt.Sprintf("%s may not %s: the emergency rules expired at %s", user, action, p.emergExpires.Format(time.RFC3339))
			return d
		}
		if via := p.match(p.emerg[action], user); via != "" {
			d.Allowed, d.Emergency, d.Alert, d.Via = true, true, true, via
			d.Reason = fmt.Sprintf("EMERGENCY: %s allowed to %s via break-glass rule %s; raise an alert and review", user, action, via)
			return d
		}
		d.Reason = fmt.Sprintf("%s may not %s, not even with emergency access", user, action)
		return d
	}
	d.Reason = fmt.Sprintf("%s may not %s: no rule allows it", user, action)
	return d
}

func (p *Policy) match(names map[string]bool, user string) string {
	if names[user] {
		return "user " + user
	}
	for _, g := range p.member[user] {
		if names[g] {
			return "group " + g
		}
	}
	return ""
}

// Users returns the declared users, sorted.
func (p *Policy) Users() []string {
	out := make([]string, 0, len(p.users))
	for u := range p.users {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// Load reads and parses a policy file.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot open: " + errors.Unwrap(err).Error()}
	}
	defer f.Close()
	buf := make([]byte, MaxFileSize+1)
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	if n > MaxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	return Parse(path, buf[:n])
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$`)

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// Parse parses policy YAML; name is used in error messages. The format:
//
//	version: 1
//	users: [alice, bob, svc-pipeline]
//	groups:
//	  privacy: [alice]
//	  oncall: [bob]
//	allow:                 # action -> users or groups
//	  reidentify: [privacy]
//	  erase: [privacy]
//	  purge: [alice]
//	  rotate: [svc-pipeline]
//	emergency:             # break-glass: action -> users or groups
//	  reidentify: [oncall]
//	emergency_expires: 2027-01-01T00:00:00Z  # optional: break-glass rules stop applying then
//
// Unknown keys, duplicate keys, unknown actions, undeclared names and
// aliases are errors with line:column.
func Parse(name string, data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		pe := &Error{File: name, Msg: msg}
		if m := yamlLineRE.FindStringSubmatch(strings.SplitN(msg, "\n", 2)[0]); m != nil {
			pe.Line, _ = strconv.Atoi(m[1])
			pe.Msg = "YAML syntax: " + m[2]
		}
		return nil, pe
	}
	ps := &parser{file: name}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: name, Msg: "empty policy"}
	}
	p, err := ps.top(doc.Content[0])
	if err != nil {
		return nil, err
	}
	return p, nil
}

type parser struct{ file string }

func (ps *parser) errf(n *yaml.Node, format string, args ...any) error {
	return &Error{File: ps.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// mapping checks n is a mapping without duplicate keys and returns its pairs.
func (ps *parser) mapping(n *yaml.Node, what string) ([][2]*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		return nil, ps.errf(n, "%s: YAML aliases are not allowed", what)
	}
	if n.Kind != yaml.MappingNode {
		return nil, ps.errf(n, "%s must be a mapping", what)
	}
	seen := map[string]bool{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return nil, ps.errf(k, "%s: keys must be plain names", what)
		}
		if seen[k.Value] {
			return nil, ps.errf(k, "%s: duplicate key %q", what, k.Value)
		}
		seen[k.Value] = true
		if v.Kind == yaml.AliasNode {
			return nil, ps.errf(v, "%s: YAML aliases are not allowed", what)
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, nil
}

// names reads a sequence of names.
func (ps *parser) names(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, ps.errf(n, "%s must be a list of names", what)
	}
	seen := map[string]bool{}
	for _, it := range n.Content {
		if it.Kind != yaml.ScalarNode || it.Tag != "!!str" && it.Tag != "!!int" {
			return nil, ps.errf(it, "%s: entries must be names", what)
		}
		if !nameRE.MatchString(it.Value) {
			return nil, ps.errf(it, "%s: %q is not a valid name (letters, digits, _ . @ -)", what, it.Value)
		}
		if seen[it.Value] {
			return nil, ps.errf(it, "%s: %q listed twice", what, it.Value)
		}
		seen[it.Value] = true
	}
	return n.Content, nil
}

func (ps *parser) top(root *yaml.Node) (*Policy, error) {
	pairs, err := ps.mapping(root, "policy")
	if err != nil {
		return nil, err
	}
	p := &Policy{users: map[string]bool{}, groups: map[string][]string{}, member: map[string][]string{},
		allow: map[string]map[string]bool{}, emerg: map[string]map[string]bool{}}
	byKey := map[string][2]*yaml.Node{}
	for _, kv := range pairs {
		switch kv[0].Value {
		case "version", "users", "groups", "allow", "emergency", "emergency_expires":
			byKey[kv[0].Value] = kv
		default:
			return nil, ps.errf(kv[0], "unknown key %q (want version, users, groups, allow, emergency, emergency_expires)", kv[0].Value)
		}
	}
	v, ok := byKey["version"]
	if !ok {
		return nil, ps.errf(root, "missing key \"version\"")
	}
	if v[1].Kind != yaml.ScalarNode || v[1].Value != "1" {
		return nil, ps.errf(v[1], "version must be 1")
	}
	if e, ok := byKey["emergency_expires"]; ok {
		t, err := time.Parse(time.RFC3339, e[1].Value)
		if e[1].Kind != yaml.ScalarNode || err != nil {
			return nil, ps.errf(e[1], "emergency_expires must be an RFC 3339 time such as 2027-01-01T00:00:00Z")
		}
		p.emergExpires = t
	}
	u, ok := byKey["users"]
	if !ok {
		return nil, ps.errf(root, "missing key \"users\"")
	}
	users, err := ps.names(u[1], "users")
	if err != nil {
		return nil, err
	}
	for _, n := range users {
		p.users[n.Value] = true
	}
	if g, ok := byKey["groups"]; ok {
		gp, err := ps.mapping(g[1], "groups")
		if err != nil {
			return nil, err
		}
		for _, kv := range gp {
			gname := kv[0].Value
			if !nameRE.MatchString(gname) {
				return nil, ps.errf(kv[0], "groups: %q is not a valid name", gname)
			}
			if p.users[gname] {
				return nil, ps.errf(kv[0], "groups: %q is also a user; user and group names must differ", gname)
			}
			members, err := ps.names(kv[1], "groups."+gname)
			if err != nil {
				return nil, err
			}
			p.groups[gname] = []string{}
			for _, m := range members {
				if !p.users[m.Value] {
					return nil, ps.errf(m, "groups.%s: %q is not a declared user", gname, m.Value)
				}
				p.groups[gname] = append(p.groups[gname], m.Value)
				p.member[m.Value] = append(p.member[m.Value], gname)
			}
		}
		for u := range p.member {
			slices.Sort(p.member[u])
		}
	}
	for _, sec := range []struct {
		key string
		dst map[string]map[string]bool
	}{{"allow", p.allow}, {"emergency", p.emerg}} {
		s, ok := byKey[sec.key]
		if !ok {
			continue
		}
		ap, err := ps.mapping(s[1], sec.key)
		if err != nil {
			return nil, err
		}
		for _, kv := range ap {
			action := kv[0].Value
			if !slices.Contains(Actions, action) {
				return nil, ps.errf(kv[0], "%s: unknown action %q (want %s)", sec.key, action, strings.Join(Actions, ", "))
			}
			list, err := ps.names(kv[1], sec.key+"."+action)
			if err != nil {
				return nil, err
			}
			set := map[string]bool{}
			for _, n := range list {
				if _, isGroup := p.groups[n.Value]; !isGroup && !p.users[n.Value] {
					return nil, ps.errf(n, "%s.%s: %q is neither a declared user nor a group", sec.key, action, n.Value)
				}
				set[n.Value] = true
			}
			sec.dst[action] = set
		}
	}
	return p, nil
}
