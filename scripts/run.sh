#!/usr/bin/env bash
# make run: the whole flow on one box with no external servers.
#   synthetic HL7v2 + FHIR traffic (internal/synth) -> embedded Kafka-protocol broker
#   -> safeharbor pipeline (parse, de-identify, rules) -> encrypted vault + Parquet datasets.
# Keys are generated here on first use under ./var (mode 0600), never committed, never defaults.
# Environment: N (messages, default 20000), SAFEHARBOR_* overrides (see `safeharbor config check`).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-20000}"
BIN=./bin/safeharbor
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/safeharbor

umask 077
mkdir -p var
chmod 700 var
if [ ! -f var/deid.key ]; then
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > var/deid.key
	echo "created throwaway de-identification key var/deid.key (0600)"
fi
if [ ! -f var/vault.keyring ]; then
	printf '# throwaway demo keyring, newest key last\n%s:%s\n' "demo-$(date +%Y%m%d)" \
		"$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > var/vault.keyring
	echo "created throwaway vault keyring var/vault.keyring (0600)"
fi
if [ ! -f var/audit.key ]; then
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > var/audit.key
	echo "created throwaway audit key var/audit.key (0600); the trail is var/audit/, anchored in var/audit/anchors"
fi
chmod 600 var/deid.key var/vault.keyring var/audit.key

# The demo's broker lives in memory, so each run starts from offset 0: clear the
# previous run's (synthetic) outputs so the counts below are this run's.
rm -rf var/vault var/analytics var/audit

if [ -z "${SAFEHARBOR_RULES_FILE:-}" ] && [ -f examples/rules.yaml ]; then
	export SAFEHARBOR_RULES_FILE=examples/rules.yaml
fi
export SAFEHARBOR_PIPELINE_CHECKPOINT_INTERVAL="${SAFEHARBOR_PIPELINE_CHECKPOINT_INTERVAL:-2s}"
export SAFEHARBOR_LOG_FORMAT="${SAFEHARBOR_LOG_FORMAT:-text}"

"$BIN" version
echo "rules: ${SAFEHARBOR_RULES_FILE:-none}; producing $N synthetic messages (about 80% HL7v2, 20% FHIR, 1 in 1000 malformed)"
exec "$BIN" run -demo "$N"
