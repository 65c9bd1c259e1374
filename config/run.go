package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/safeharbor/safeharbor/sinks/access"
)

// LogLevels maps log_level values to slog levels.
var LogLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// Run is the YAML configuration of `safeharbor run`. Every field can
// be overridden by an environment variable SAFEHARBOR_<PATH> (see envOverrides).
// Secrets are never written in the file: they come from *_file paths or from
// the environment.
type Run struct {
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
		KafkaSecurity `yaml:",inline"`
		Embedded      struct {
			Port       int   `yaml:"port"`
			Partitions int32 `yaml:"partitions"`
		} `yaml:"embedded"`
	} `yaml:"kafka"`
	Keys struct {
		DeidKeyFile string `yaml:"deid_key_file"`
		KeyringFile string `yaml:"vault_keyring_file"`
		DeidProfile string `yaml:"deid_profile"`
		// AuditKeyFile is the audit key of the local audit trail (Audit),
		// used only when no system access configuration exists.
		AuditKeyFile string `yaml:"audit_key_file"`
	} `yaml:"keys"`
	Vault     Target `yaml:"vault"`
	Analytics Target `yaml:"analytics"`
	// Audit is the local audit trail of a single-host or demo run, used only
	// when no system access configuration (sinks/access) exists; with one,
	// the trail, key and anchor come from it and these settings are ignored.
	Audit struct {
		Log       string `yaml:"log"`
		AnchorDir string `yaml:"anchor_dir"`
	} `yaml:"audit"`
	RulesFile string `yaml:"rules_file"`
	Pipeline  struct {
		Workers            int      `yaml:"workers"`
		QueueSize          int      `yaml:"queue_size"`
		CheckpointInterval Duration `yaml:"checkpoint_interval"`
		ShutdownTimeout    Duration `yaml:"shutdown_timeout"`
		StartFrom          string   `yaml:"start_from"` // earliest (default) or latest
	} `yaml:"pipeline"`
	// LeakGuard: false turns the output leak guard off. UNSAFE (default on):
	// an engine bug would then reach Parquet and the de-identified topics.
	LeakGuard   *bool  `yaml:"leak_guard"`
	MetricsAddr string `yaml:"metrics_addr"`
	LogLevel    string `yaml:"log_level"`
	LogFormat   string `yaml:"log_format"` // json (default) or text
}

// Target is a vault or analytics destination: a local directory, or S3 when
// s3.endpoint is set.
type Target struct {
	Dir string          `yaml:"dir"`
	S3  access.S3Target `yaml:"s3"`
}

// Duration is a time.Duration written as "5s" in YAML.
type Duration = access.Duration

// Default is the embedded default: no brokers (embedded broker), local
// vault and analytics under ./var, keys under ./var (never generated here).
func Default() *Run {
	c := &Run{}
	c.Kafka.Group = "safeharbor"
	c.Kafka.Topics.HL7 = "hl7v2.in"
	c.Kafka.Topics.FHIR = "fhir.in"
	c.Kafka.Topics.DLQ = "safeharbor.dlq"
	c.Kafka.Embedded.Port = 0
	c.Kafka.Embedded.Partitions = 4
	c.Keys.DeidKeyFile = "var/deid.key"
	c.Keys.KeyringFile = "var/vault.keyring"
	c.Keys.DeidProfile = "safe-harbor"
	c.Keys.AuditKeyFile = "var/audit.key"
	c.Audit.Log = "var/audit/audit.jsonl"
	c.Audit.AnchorDir = "var/audit/anchors"
	c.Vault.Dir = "var/vault"
	c.Analytics.Dir = "var/analytics"
	c.Pipeline.CheckpointInterval = Duration{Duration: 5 * time.Second}
	c.Pipeline.ShutdownTimeout = Duration{Duration: 30 * time.Second}
	c.Pipeline.StartFrom = "earliest"
	c.MetricsAddr = "127.0.0.1:9464"
	c.LogLevel = "info"
	c.LogFormat = "json"
	return c
}

// Load reads the defaults, then path (if not empty), then the
// environment. getenv is os.Getenv in production.
func Load(path string, getenv func(string) string) (*Run, error) {
	c := Default()
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
func envOverrides(c *Run) []envVar {
	t := func(prefix string, x *Target) []envVar {
		return []envVar{
			{prefix + "_DIR", str(&x.Dir)},
			{prefix + "_S3_ENDPOINT", str(&x.S3.Endpoint)},
			{prefix + "_S3_BUCKET", str(&x.S3.Bucket)},
			{prefix + "_S3_REGION", str(&x.S3.Region)},
			{prefix + "_S3_ACCESS_KEY_FILE", str(&x.S3.AccessKeyFile)},
			{prefix + "_S3_SECRET_KEY_FILE", str(&x.S3.SecretKeyFile)},
			{prefix + "_S3_ACCESS_KEY", secret(&x.S3.AccessKey)},
			{prefix + "_S3_SECRET_KEY", secret(&x.S3.SecretKey)},
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
		{"SAFEHARBOR_KAFKA_SASL_PASSWORD", secret(&k.SASL.Password)},
		{"SAFEHARBOR_KAFKA_EMBEDDED_PORT", integer(&k.Embedded.Port)},
		{"SAFEHARBOR_KEYS_DEID_KEY_FILE", str(&c.Keys.DeidKeyFile)},
		{"SAFEHARBOR_KEYS_VAULT_KEYRING_FILE", str(&c.Keys.KeyringFile)},
		{"SAFEHARBOR_KEYS_DEID_PROFILE", str(&c.Keys.DeidProfile)},
		{"SAFEHARBOR_KEYS_AUDIT_KEY_FILE", str(&c.Keys.AuditKeyFile)},
		{"SAFEHARBOR_AUDIT_LOG", str(&c.Audit.Log)},
		{"SAFEHARBOR_AUDIT_ANCHOR_DIR", str(&c.Audit.AnchorDir)},
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
func dur(p *Duration) setter {
	return setter{fn: func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errors.New("want a duration like 5s")
		}
		p.Duration = d
		return nil
	}}
}

func applyEnv(c *Run, getenv func(string) string) error {
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
