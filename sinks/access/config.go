package access

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultConfigPath is where the system access configuration lives.
const DefaultConfigPath = "/etc/safeharbor/access.yaml"

// ConfigEnv names the environment variable that can point at another access
// configuration; the file it names must pass the same ownership and permission
// checks (Trust.CheckTrusted), so it cannot be a caller's own file.
const ConfigEnv = "SAFEHARBOR_ACCESS_CONFIG"

// DefaultServiceAccount is the account that runs the pipeline and owns the
// configuration when service_account is not set.
const DefaultServiceAccount = "safeharbor"

// Config is the system access configuration: who the service is, which policy
// decides, where the audit trail goes and where its head is anchored, and how
// emergency access raises its alert. Paths are absolute or relative to the
// configuration file's directory.
//
//	service_account: safeharbor
//	policy: /etc/safeharbor/policy.yaml
//	audit:
//	  log: /var/lib/safeharbor/audit/audit.jsonl   # or s3: {...} (WORM objects)
//	  key_file: /etc/safeharbor/audit.key
//	anchor:
//	  s3: {endpoint: minio:9000, bucket: audit-anchors, ...}   # object-lock bucket; or dir: PATH
//	  interval: 1m
//	alert:
//	  command: [/usr/local/bin/page-privacy-officer]             # and/or webhook: https://...
//	  timeout: 10s
type Config struct {
	// ServiceAccount owns the configuration files besides root, and is the
	// identity of the pipeline.
	ServiceAccount string `yaml:"service_account"`
	// Policy is the access policy file (sinks/policy).
	Policy string       `yaml:"policy"`
	Audit  AuditConfig  `yaml:"audit"`
	Anchor AnchorConfig `yaml:"anchor"`
	Alert  AlertConfig  `yaml:"alert"`
	// Extraction names the recipients of extracts and the signing key.
	Extraction ExtractionConfig `yaml:"extraction"`
	// RunConfig, when set, is the run configuration whose vault and keyring
	// the PHI commands use; their vault location flags are then refused (a
	// caller cannot point a privileged command at another directory).
	RunConfig string `yaml:"run_config"`

	// dir resolves relative paths; path is where the configuration was read.
	dir, path string
	// trust is who may own the files this configuration names.
	trust Trust
	// local marks LocalConfig: no policy; the running account may store.
	local bool
}

// LocalConfig is the access configuration of a single-host or demo
// `safeharbor run` when no system access configuration exists: the pipeline's
// vault writes are audited to log (key from keyFile) and anchored in
// anchorDir. Without a policy, the running account may only store (the
// pipeline's own writes); every other action is denied.
func LocalConfig(log, keyFile, anchorDir string) *Config {
	c := &Config{Audit: AuditConfig{Log: log, KeyFile: keyFile}, Anchor: AnchorConfig{Dir: anchorDir}, local: true}
	c.applyDefaults()
	return c
}

// AuditConfig says where the audit trail is kept.
type AuditConfig struct {
	// Log is a local JSON Lines file (with its head file beside it).
	Log string `yaml:"log"`
	// S3 keeps the trail as WORM objects (object lock) instead of Log.
	S3 S3Target `yaml:"s3"`
	// Retention of the WORM batches (default audit.DefaultRetention).
	Retention Duration `yaml:"retention"`
	// KeyFile holds the audit HMAC key (mode 0600).
	KeyFile string `yaml:"key_file"`
}

// AnchorConfig says where the chain head is checkpointed.
type AnchorConfig struct {
	// Dir keeps anchors as read-only files (single host; weaker than S3).
	Dir string `yaml:"dir"`
	// S3 keeps anchors in an object-lock bucket, compliance mode.
	S3 S3Target `yaml:"s3"`
	// Retention of anchor objects (default audit.DefaultRetention).
	Retention Duration `yaml:"retention"`
	// Interval between anchors of a long-running process (default 1m).
	Interval Duration `yaml:"interval"`
}

// AlertConfig is the hook that emergency (break-glass) access raises.
type AlertConfig struct {
	// Command is run with the alert as JSON on stdin (argv, no shell).
	Command []string `yaml:"command"`
	// Webhook receives the alert as a JSON POST (https, or http to loopback).
	Webhook string `yaml:"webhook"`
	// Timeout bounds the hook (default 10s).
	Timeout Duration `yaml:"timeout"`
}

// Duration is a time.Duration written as "5s" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML reads "5s", "1m", "2h".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 5s or 1m)", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Path returns where the configuration was read ("" for one built in code).
func (c *Config) Path() string { return c.path }

// resolve makes p absolute relative to the configuration's directory.
func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// applyDefaults fills unset fields.
func (c *Config) applyDefaults() {
	if c.ServiceAccount == "" {
		c.ServiceAccount = DefaultServiceAccount
	}
	if c.Anchor.Interval.Duration == 0 {
		c.Anchor.Interval.Duration = time.Minute
	}
	if c.Alert.Timeout.Duration == 0 {
		c.Alert.Timeout.Duration = 10 * time.Second
	}
	c.Policy = c.resolve(c.Policy)
	c.Audit.Log = c.resolve(c.Audit.Log)
	c.Audit.KeyFile = c.resolve(c.Audit.KeyFile)
	c.Anchor.Dir = c.resolve(c.Anchor.Dir)
	c.Extraction.SigningKeyFile = c.resolve(c.Extraction.SigningKeyFile)
	c.RunConfig = c.resolve(c.RunConfig)
}

// Validate returns every problem of the configuration.
func (c *Config) Validate() []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if c.Policy == "" {
		bad("policy: required (default deny needs a policy)")
	}
	switch {
	case c.Audit.Log != "" && c.Audit.S3.Set():
		bad("audit: set log or s3, not both")
	case c.Audit.Log == "" && !c.Audit.S3.Set():
		bad("audit: set log (a file) or s3 (WORM objects)")
	case c.Audit.S3.Set():
		errs = append(errs, c.Audit.S3.Validate("audit.s3")...)
	}
	if c.Audit.KeyFile == "" {
		bad("audit.key_file: required (there is no default key)")
	}
	switch {
	case c.Anchor.Dir != "" && c.Anchor.S3.Set():
		bad("anchor: set dir or s3, not both")
	case c.Anchor.Dir == "" && !c.Anchor.S3.Set():
		bad("anchor: set s3 (an object-lock bucket) or dir; the audit chain must be anchored")
	case c.Anchor.S3.Set():
		errs = append(errs, c.Anchor.S3.Validate("anchor.s3")...)
	}
	if c.Anchor.Interval.Duration < time.Second {
		bad("anchor.interval: %s is below 1s", c.Anchor.Interval)
	}
	if c.Alert.Timeout.Duration <= 0 {
		bad("alert.timeout: must be positive")
	}
	if len(c.Alert.Command) > 0 && !filepath.IsAbs(c.Alert.Command[0]) {
		bad("alert.command: %q: give an absolute path (no $PATH lookup)", c.Alert.Command[0])
	}
	if c.Alert.Webhook != "" {
		if err := checkWebhook(c.Alert.Webhook); err != nil {
			bad("alert.webhook: %v", err)
		}
	}
	return errs
}

func checkWebhook(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return nil
		}
	}
	return errors.New("use https (plain http only to loopback)")
}

// ParseConfig parses an access configuration; dir resolves relative paths.
func ParseConfig(name string, data []byte, dir string) (*Config, error) {
	c := &Config{dir: dir, path: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("access config %s: %w", name, err)
	}
	c.applyDefaults()
	if errs := c.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("access config %s: %s", name, strings.Join(errs, "; "))
	}
	return c, nil
}

// LoadOptions tune LoadConfig; the zero value is what the CLI uses.
type LoadOptions struct {
	// Getenv reads ConfigEnv (default os.Getenv).
	Getenv func(string) string
	// Trust adds trusted owners (tests that do not run as root); root and the
	// configuration's service account are always trusted.
	Trust Trust
}

// ErrNoConfig is returned (wrapped) when no access configuration exists.
var ErrNoConfig = errors.New("no access configuration")

// LoadConfig reads the system access configuration ($SAFEHARBOR_ACCESS_CONFIG
// or DefaultConfigPath) after checking that it, its directory and the policy
// file are owned by root or the service account and not writable by others.
func LoadConfig(o LoadOptions) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path := DefaultConfigPath
	if p := getenv(ConfigEnv); p != "" {
		path = p
	}
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("%s: %q: give an absolute path", ConfigEnv, path)
	}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist (set %s or install it; see README, Security)", ErrNoConfig, path, ConfigEnv)
	}
	// The file is read once its owner and mode were checked against root and
	// the extra trusted ids; the service account it names is then trusted for
	// the files it points to only if the file itself is root's or that account's.
	data, fi, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(path, data, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	tr := Trust{UIDs: append(append([]int{}, o.Trust.UIDs...), TrustAccount(c.ServiceAccount).UIDs...)}
	if err := tr.CheckTrusted(path); err != nil {
		return nil, err
	}
	if st, err := os.Lstat(path); err != nil || !os.SameFile(st, fi) {
		return nil, &TrustError{Path: path, Reason: "changed while it was read"}
	}
	if err := tr.CheckTrusted(c.Policy); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if c.RunConfig != "" {
		if err := tr.CheckTrusted(c.RunConfig); err != nil {
			return nil, fmt.Errorf("run_config: %w", err)
		}
	}
	c.trust = tr
	return c, nil
}

func readBounded(path string) ([]byte, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, nil, &TrustError{Path: path, Reason: errText(err)}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, &TrustError{Path: path, Reason: errText(err)}
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, nil, &TrustError{Path: path, Reason: errText(err)}
	}
	if len(b) > 1<<20 {
		return nil, nil, &TrustError{Path: path, Reason: "larger than 1 MiB"}
	}
	return b, fi, nil
}

// CheckSeparate refuses an audit trail or anchor kept inside a PHI or
// analytics directory (or the reverse): audit, PHI and key material live in
// separate stores. dirs are the data directories in use ("" is skipped).
func (c *Config) CheckSeparate(dirs ...string) error {
	for _, a := range []struct{ key, p string }{{"audit.log", filepath.Dir(c.Audit.Log)}, {"anchor.dir", c.Anchor.Dir}} {
		if a.p == "" || a.p == "." && c.Audit.Log == "" {
			continue
		}
		for _, d := range dirs {
			if d == "" {
				continue
			}
			if within(a.p, d) || within(d, a.p) {
				return fmt.Errorf("%s: %s overlaps the data directory %s; keep audit, PHI and analytics in separate stores", a.key, a.p, d)
			}
		}
	}
	return nil
}

// within reports whether p is d or inside it.
func within(p, d string) bool {
	ap, err1 := filepath.Abs(p)
	ad, err2 := filepath.Abs(d)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(ad, ap)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
