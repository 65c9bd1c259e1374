// Package policy decides who may re-identify, erase, purge and rotate keys,
// and who may use emergency (break-glass) access, from a strict YAML policy
// file. It denies by default; callers audit every decision.
package policy
