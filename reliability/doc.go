// Package reliability holds the end-to-end reliability and security tests of
// safeharbor: kill -9 and restart of `safeharbor run`, broker loss, poison
// input, no PHI outside the vault, key-file and TLS checks, and audit-log
// tampering through the CLI. It has no non-test code; see RESULTS.md for the
// last results. Long variants run with SAFEHARBOR_LONG=1 (make test-long).
package reliability
