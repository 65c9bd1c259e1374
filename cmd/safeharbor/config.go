package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/rules"
	"github.com/safeharbor/safeharbor/sinks/vault"
)

// fileConfig is the YAML configuration of `safeharbor run`. Every field can
// be overridden by an environment variable SAFEHARBOR_<PATH> (see envOverrides).
// Secrets are never written in the file: they come from *_file paths or from
// the environment.
type fileConfig struct {
	Kafka struct {
		// Brokers; empty starts the embedded broker on 127.0.0.1.
		Brokers []string `yaml:"brokers"`
		Group   string   `yaml:"group"`
		Topics  struct {
			HL7     string `yaml:"hl7"`
			FHIR    string `yaml:"fhir"`
			HL7Out  string `yaml:"hl7_out"`
			FHIROut string `yaml:"fhir_out"`
			DLQ     string `yaml:"dlq"`
		} `yaml:"topics"`
		TLS struct {
			Enabled            bool   `yaml:"enabled"`
			CAFile             string `yaml:"ca_file"`
			CertFile           string `yaml:"cert_file"`
			KeyFile            string `yaml:"key_file"`
			InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
		} `yaml:"tls"`
		SASL struct {
			Mechanism    string `yaml:"mechanism"` // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
			Username     string `yaml:"username"`
			PasswordFile string `yaml:"password_file"`
			password     string // from SAFEHARBOR_KAFKA_SASL_PASSWORD
		} `yaml:"sasl"`
		Embedded struct {
			Port       int   `yaml:"port"`
			Partitions int32 `yaml:"partitions"`
		} `yaml:"embedded"`
	} `yaml:"kafka"`
	Keys struct {
		DeidKeyFile string `yaml:"deid_key_file"`
		KeyringFile string `yaml:"vault_keyring_file"`
		DeidProfile string `yaml:"deid_profile"`
	} `yaml:"keys"`
	Vault     target `yaml:"vault"`
	Analytics target `yaml:"analytics"`
	RulesFile string `yaml:"rules_file"`
	Pipeline  struct {
		Workers            int      `yaml:"workers"`
		QueueSize          int      `yaml:"queue_size"`
		CheckpointInterval duration `yaml:"checkpoint_interval"`
		ShutdownTimeout    duration `yaml:"shutdown_timeout"`
		StartFrom          string   `yaml:"start_from"` // earliest (default) or latest
	} `yaml:"pipeline"`
	// LeakGuard: false turns the output leak guard off. UNSAFE (default on):
	// an engine bug would then reach Parquet and the de-identified topics.
	LeakGuard   *bool  `yaml:"leak_guard"`
	MetricsAddr string `yaml:"metrics_addr"`
	LogLevel    string `yaml:"log_level"`
	LogFormat   string `yaml:"log_format"` // json (default) or text
}

// target is a vault or analytics destination: a local directory, or S3 when
// s3.endpoint is set.
type target struct {
	Dir string `yaml:"dir"`
	S3  struct {
		Endpoint      string `yaml:"endpoint"`
		Bucket        string `yaml:"bucket"`
		Region        string `yaml:"region"`
		AccessKeyFile string `yaml:"access_key_file"`
		SecretKeyFile string `yaml:"secret_key_file"`
		CAFile        string `yaml:"ca_file"`
		// Insecure selects plain HTTP (no TLS); never for production.
		Insecure  bool `yaml:"insecure"`
		accessKey string
		secretKey string
	} `yaml:"s3"`
}

// duration is a time.Duration written as "5s" in YAML.
type duration struct{ time.Duration }

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 5s or 1m)", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

func (d duration) MarshalYAML() (any, error) { return d.String(), nil }

// defaultConfig is the embedded default: no brokers (embedded broker), local
// vault and analytics under ./var, keys under ./var (never generated here).
func defaultConfig() *fileConfig {
	c := &fileConfig{}
	c.Kafka.Group = "safeharbor"
	c.Kafka.Topics.HL7 = "hl7v2.in"
	c.Kafka.Topics.FHIR = "fhir.in"
	c.Kafka.Topics.DLQ = "safeharbor.dlq"
	c.Kafka.Embedded.Port = 0
	c.Kafka.Embedded.Partitions = 4
	c.Keys.DeidKeyFile = "var/deid.key"
	c.Keys.KeyringFile = "var/vault.keyring"
	c.Keys.DeidProfile = "safe-harbor"
	c.Vault.Dir = "var/vault"
	c.Analytics.Dir = "var/analytics"
	c.Pipeline.CheckpointInterval = duration{5 * time.Second}
	c.Pipeline.ShutdownTimeout = duration{30 * time.Second}
	c.Pipeline.StartFrom = "earliest"
	c.MetricsAddr = "127.0.0.1:9464"
	c.LogLevel = "info"
	c.LogFormat = "json"
	return c
}

// loadConfig reads the defaults, then path (if not empty), then the
// environment. getenv is os.Getenv in production.
func loadConfig(path string, getenv func(string) string) (*fileConfig, error) {
	c := defaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(c, getenv); err != nil {
		return nil, err
	}
	return c, nil
}

// envOverrides lists every environment variable and the field it sets.
func envOverrides(c *fileConfig) []envVar {
	t := func(prefix string, x *target) []envVar {
		return []envVar{
			{prefix + "_DIR", str(&x.Dir)},
			{prefix + "_S3_ENDPOINT", str(&x.S3.Endpoint)},
			{prefix + "_S3_BUCKET", str(&x.S3.Bucket)},
			{prefix + "_S3_REGION", str(&x.S3.Region)},
			{prefix + "_S3_ACCESS_KEY_FILE", str(&x.S3.AccessKeyFile)},
			{prefix + "_S3_SECRET_KEY_FILE", str(&x.S3.SecretKeyFile)},
			{prefix + "_S3_ACCESS_KEY", secret(&x.S3.accessKey)},
			{prefix + "_S3_SECRET_KEY", secret(&x.S3.secretKey)},
			{prefix + "_S3_CA_FILE", str(&x.S3.CAFile)},
			{prefix + "_S3_INSECURE", boolean(&x.S3.Insecure)},
		}
	}
	k := &c.Kafka
	vs := []envVar{
		{"SAFEHARBOR_KAFKA_BROKERS", list(&k.Brokers)},
		{"SAFEHARBOR_KAFKA_GROUP", str(&k.Group)},
		{"SAFEHARBOR_KAFKA_TOPICS_HL7", str(&k.Topics.HL7)},
		{"SAFEHARBOR_KAFKA_TOPICS_FHIR", str(&k.Topics.FHIR)},
		{"SAFEHARBOR_KAFKA_TOPICS_HL7_OUT", str(&k.Topics.HL7Out)},
		{"SAFEHARBOR_KAFKA_TOPICS_FHIR_OUT", str(&k.Topics.FHIROut)},
		{"SAFEHARBOR_KAFKA_TOPICS_DLQ", str(&k.Topics.DLQ)},
		{"SAFEHARBOR_KAFKA_TLS_ENABLED", boolean(&k.TLS.Enabled)},
		{"SAFEHARBOR_KAFKA_TLS_CA_FILE", str(&k.TLS.CAFile)},
		{"SAFEHARBOR_KAFKA_TLS_CERT_FILE", str(&k.TLS.CertFile)},
		{"SAFEHARBOR_KAFKA_TLS_KEY_FILE", str(&k.TLS.KeyFile)},
		{"SAFEHARBOR_KAFKA_TLS_INSECURE_SKIP_VERIFY", boolean(&k.TLS.InsecureSkipVerify)},
		{"SAFEHARBOR_KAFKA_SASL_MECHANISM", str(&k.SASL.Mechanism)},
		{"SAFEHARBOR_KAFKA_SASL_USERNAME", str(&k.SASL.Username)},
		{"SAFEHARBOR_KAFKA_SASL_PASSWORD_FILE", str(&k.SASL.PasswordFile)},
		{"SAFEHARBOR_KAFKA_SASL_PASSWORD", secret(&k.SASL.password)},
		{"SAFEHARBOR_KAFKA_EMBEDDED_PORT", integer(&k.Embedded.Port)},
		{"SAFEHARBOR_KEYS_DEID_KEY_FILE", str(&c.Keys.DeidKeyFile)},
		{"SAFEHARBOR_KEYS_VAULT_KEYRING_FILE", str(&c.Keys.KeyringFile)},
		{"SAFEHARBOR_KEYS_DEID_PROFILE", str(&c.Keys.DeidProfile)},
		{"SAFEHARBOR_RULES_FILE", str(&c.RulesFile)},
		{"SAFEHARBOR_PIPELINE_WORKERS", integer(&c.Pipeline.Workers)},
		{"SAFEHARBOR_PIPELINE_CHECKPOINT_INTERVAL", dur(&c.Pipeline.CheckpointInterval)},
		{"SAFEHARBOR_PIPELINE_SHUTDOWN_TIMEOUT", dur(&c.Pipeline.ShutdownTimeout)},
		{"SAFEHARBOR_PIPELINE_START_FROM", str(&c.Pipeline.StartFrom)},
		{"SAFEHARBOR_METRICS_ADDR", str(&c.MetricsAddr)},
		{"SAFEHARBOR_LOG_LEVEL", str(&c.LogLevel)},
		{"SAFEHARBOR_LOG_FORMAT", str(&c.LogFormat)},
	}
	vs = append(vs, t("SAFEHARBOR_VAULT", &c.Vault)...)
	return append(vs, t("SAFEHARBOR_ANALYTICS", &c.Analytics)...)
}

type envVar struct {
	name string
	set  setter
}

type setter struct {
	secret bool
	fn     func(string) error
}

func str(p *string) setter { return setter{fn: func(v string) error { *p = v; return nil }} }
func secret(p *string) setter {
	return setter{secret: true, fn: func(v string) error { *p = v; return nil }}
}
func list(p *[]string) setter {
	return setter{fn: func(v string) error {
		*p = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*p = append(*p, s)
			}
		}
		return nil
	}}
}
func boolean(p *bool) setter {
	return setter{fn: func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		*p = b
		return nil
	}}
}
func integer(p *int) setter {
	return setter{fn: func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errors.New("want an integer")
		}
		*p = n
		return nil
	}}
}
func dur(p *duration) setter {
	return setter{fn: func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errors.New("want a duration like 5s")
		}
		p.Duration = d
		return nil
	}}
}

func applyEnv(c *fileConfig, getenv func(string) string) error {
	for _, e := range envOverrides(c) {
		v := getenv(e.name)
		if v == "" {
			continue
		}
		if err := e.set.fn(v); err != nil {
			// The value is not echoed: it may be a secret.
			return fmt.Errorf("config: environment %s: %v", e.name, err)
		}
	}
	return nil
}

var topicRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// validate checks the configuration and returns every problem found.
func (c *fileConfig) validate(checkFiles bool) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	k := &c.Kafka
	for _, b := range k.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			bad("kafka.brokers: %q is not host:port", b)
		}
	}
	if k.Group == "" {
		bad("kafka.group: required")
	}
	if k.Topics.HL7 == "" && k.Topics.FHIR == "" {
		bad("kafka.topics: set hl7 and/or fhir")
	}
	names := map[string]string{}
	for _, t := range []struct{ key, v string }{{"hl7", k.Topics.HL7}, {"fhir", k.Topics.FHIR},
		{"hl7_out", k.Topics.HL7Out}, {"fhir_out", k.Topics.FHIROut}, {"dlq", k.Topics.DLQ}} {
		if t.v == "" {
			continue
		}
		if !topicRe.MatchString(t.v) {
			bad("kafka.topics.%s: %q is not a valid topic name ([A-Za-z0-9._-], 1-249)", t.key, t.v)
		}
		if o, dup := names[t.v]; dup {
			bad("kafka.topics.%s: %q is also kafka.topics.%s", t.key, t.v, o)
		}
		names[t.v] = t.key
	}
	if len(k.Brokers) > 0 {
		if k.TLS.CertFile != "" && k.TLS.KeyFile == "" || k.TLS.CertFile == "" && k.TLS.KeyFile != "" {
			bad("kafka.tls: cert_file and key_file go together")
		}
		if (k.TLS.CAFile != "" || k.TLS.CertFile != "" || k.TLS.InsecureSkipVerify) && !k.TLS.Enabled {
			bad("kafka.tls: TLS files or options set but kafka.tls.enabled is false")
		}
		switch strings.ToUpper(k.SASL.Mechanism) {
		case "":
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
			if k.SASL.Username == "" {
				bad("kafka.sasl.username: required with a SASL mechanism")
			}
			if k.SASL.PasswordFile == "" && k.SASL.password == "" {
				bad("kafka.sasl: set password_file or SAFEHARBOR_KAFKA_SASL_PASSWORD")
			}
			if !k.TLS.Enabled && strings.ToUpper(k.SASL.Mechanism) == "PLAIN" {
				bad("kafka.sasl: PLAIN sends the password in clear; enable kafka.tls")
			}
		default:
			bad("kafka.sasl.mechanism: %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASL.Mechanism)
		}
	} else if k.Embedded.Port < 0 || k.Embedded.Port > 65535 {
		bad("kafka.embedded.port: %d is not a port", k.Embedded.Port)
	}
	if c.Keys.DeidKeyFile == "" {
		bad("keys.deid_key_file: required (there is no default key)")
	}
	if c.Keys.KeyringFile == "" {
		bad("keys.vault_keyring_file: required (there is no default key)")
	}
	if _, err := deid.ParseProfile(c.Keys.DeidProfile); err != nil {
		bad("keys.deid_profile: %q is not a profile (safe-harbor or shift)", c.Keys.DeidProfile)
	}
	for _, t := range []struct {
		name string
		t    *target
	}{{"vault", &c.Vault}, {"analytics", &c.Analytics}} {
		s := &t.t.S3
		if s.Endpoint == "" {
			if t.t.Dir == "" {
				bad("%s: set dir or s3.endpoint", t.name)
			}
			continue
		}
		if strings.Contains(s.Endpoint, "://") {
			bad("%s.s3.endpoint: %q: give host:port without a scheme (TLS is on unless s3.insecure)", t.name, s.Endpoint)
		}
		if s.Bucket == "" {
			bad("%s.s3.bucket: required", t.name)
		}
		if s.AccessKeyFile == "" && s.accessKey == "" {
			bad("%s.s3: set access_key_file or SAFEHARBOR_%s_S3_ACCESS_KEY", t.name, strings.ToUpper(t.name))
		}
		if s.SecretKeyFile == "" && s.secretKey == "" {
			bad("%s.s3: set secret_key_file or SAFEHARBOR_%s_S3_SECRET_KEY", t.name, strings.ToUpper(t.name))
		}
	}
	if c.Pipeline.Workers < 0 {
		bad("pipeline.workers: must be ≥ 0 (0 = one per CPU)")
	}
	if c.Pipeline.CheckpointInterval.Duration < 100*time.Millisecond {
		bad("pipeline.checkpoint_interval: %s is below 100ms", c.Pipeline.CheckpointInterval)
	}
	if c.Pipeline.ShutdownTimeout.Duration < time.Second {
		bad("pipeline.shutdown_timeout: %s is below 1s", c.Pipeline.ShutdownTimeout)
	}
	if c.Pipeline.StartFrom != "earliest" && c.Pipeline.StartFrom != "latest" {
		bad("pipeline.start_from: %q is not earliest or latest", c.Pipeline.StartFrom)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("metrics_addr: %q is not host:port", c.MetricsAddr)
		}
	}
	if _, ok := logLevels[strings.ToLower(c.LogLevel)]; !ok {
		bad("log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("log_format: %q is not json or text", c.LogFormat)
	}
	if checkFiles {
		if c.Keys.DeidKeyFile != "" {
			if _, err := deid.LoadKeyFile(c.Keys.DeidKeyFile); err != nil {
				bad("keys.deid_key_file: %v", err)
			}
		}
		if c.Keys.KeyringFile != "" {
			if _, err := vault.LoadKeyring(c.Keys.KeyringFile); err != nil {
				bad("keys.vault_keyring_file: %v", err)
			}
		}
		if c.RulesFile != "" {
			if _, err := rules.Load(c.RulesFile); err != nil {
				bad("rules_file: %v", err)
			}
		}
		for _, f := range []struct{ key, path string }{{"kafka.tls.ca_file", k.TLS.CAFile},
			{"kafka.tls.cert_file", k.TLS.CertFile}, {"kafka.tls.key_file", k.TLS.KeyFile},
			{"kafka.sasl.password_file", k.SASL.PasswordFile},
			{"vault.s3.ca_file", c.Vault.S3.CAFile}, {"analytics.s3.ca_file", c.Analytics.S3.CAFile},
			{"vault.s3.access_key_file", c.Vault.S3.AccessKeyFile}, {"vault.s3.secret_key_file", c.Vault.S3.SecretKeyFile},
			{"analytics.s3.access_key_file", c.Analytics.S3.AccessKeyFile}, {"analytics.s3.secret_key_file", c.Analytics.S3.SecretKeyFile}} {
			if f.path == "" {
				continue
			}
			if _, err := os.Stat(f.path); err != nil {
				bad("%s: %v", f.key, err)
			}
		}
	}
	return errs
}

// redacted renders the effective configuration as YAML; secrets supplied by
// the environment show as "<redacted>" and are never printed.
func (c *fileConfig) redacted() string {
	type sec struct {
		KafkaSASLPassword string `yaml:"kafka_sasl_password,omitempty"`
		VaultAccessKey    string `yaml:"vault_s3_access_key,omitempty"`
		VaultSecretKey    string `yaml:"vault_s3_secret_key,omitempty"`
		AnalyticsAccess   string `yaml:"analytics_s3_access_key,omitempty"`
		AnalyticsSecret   string `yaml:"analytics_s3_secret_key,omitempty"`
	}
	r := func(s string) string {
		if s == "" {
			return ""
		}
		return "<redacted>"
	}
	out, _ := yaml.Marshal(c)
	s, _ := yaml.Marshal(map[string]sec{"secrets_from_environment": {
		r(c.Kafka.SASL.password), r(c.Vault.S3.accessKey), r(c.Vault.S3.secretKey),
		r(c.Analytics.S3.accessKey), r(c.Analytics.S3.secretKey)}})
	res := string(out)
	if !strings.Contains(string(s), "{}") {
		res += string(s)
	}
	if len(c.Kafka.Brokers) == 0 {
		res += "# kafka.brokers is empty: an embedded broker runs on 127.0.0.1\n"
	}
	return res
}

func init() {
	register(command{name: "config", summary: "check a run configuration file: config check FILE", run: runConfig})
}

func runConfig(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: safeharbor config check [-no-files] FILE")
		return exitUsage
	}
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noFiles := fs.Bool("no-files", false, "do not open key, keyring, rules and TLS files")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: safeharbor config check [-no-files] FILE")
		return exitUsage
	}
	c, err := loadConfig(fs.Arg(0), os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if errs := c.validate(!*noFiles); len(errs) > 0 {
		fmt.Fprintf(stderr, "%s: %d problem(s):\n", fs.Arg(0), len(errs))
		for _, e := range errs {
			fmt.Fprintln(stderr, "  "+e)
		}
		return exitUsage
	}
	fmt.Fprintf(stdout, "# %s: OK. Effective configuration (defaults + file + SAFEHARBOR_* environment):\n", fs.Arg(0))
	io.WriteString(stdout, c.redacted())
	return exitOK
}
