// Package policy decides who may re-identify, erase, purge and rotate keys,
// which service account may store PHI in the vault, who may read the audit
// trail, and who may use emergency (break-glass) access (optionally until an
// expiry time), from a strict YAML policy file. It denies by default; callers
// (sinks/access) audit every decision.
package policy
