// Package access is the one guard in front of every PHI access: it
// identifies the acting user (the OS account, never a flag), checks the access
// policy, writes the audit record, and only then lets the caller act. Every
// CLI command that touches PHI and the pipeline's vault writes go through a
// Guard, so "every access is audited" holds by construction.
//
// The policy, the audit destination, the audit key and the chain anchor come
// from the system access configuration (/etc/safeharbor/access.yaml, or
// $SAFEHARBOR_ACCESS_CONFIG), whose ownership and permissions are checked
// before it is believed: a caller cannot point the guard at a policy or audit
// log of their own. Secret files are read only when no one but their owner can
// read them.
package access
