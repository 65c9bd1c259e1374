// Package pipeline consumes records from Kafka, de-identifies them, applies rules and commits only durable work.
//
// # Rules reload
//
// With Config.RulesWatcher the rules file is reloaded when it changes
// (polled) and on ReloadRules (SIGHUP in `safeharbor run`); SetRules swaps
// in any Rules. A file that fails to compile never replaces the running
// rules: the error is logged as "file:line:col: message" (rules file content
// only) and counted in safeharbor_rules_reloads_total{result="error"}. The
// switch happens between messages: each record is tagged, in offset order
// per partition, with the rules generation in force when it is fetched, is
// evaluated entirely by that Set, and its rows go to that generation's
// dataset writers (new writers for the new Set's datasets and schemas; rows
// and Parquet metadata carry its version). Checkpoints flush the writers of
// every live generation before committing; an old generation is closed once
// no record references it. safeharbor_rules_info{version} names the rules
// in force.
//
// # phi: store: none
//
// Rules from FromRuleSet whose file says `phi: store: none` keep originals
// out of the vault: only dataset rows (and de-identified outputs) remain,
// so those records cannot be re-identified. Bad records still go to the
// vault DLQ.
package pipeline
