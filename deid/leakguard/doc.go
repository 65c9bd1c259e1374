// Package leakguard checks de-identified output for identifying values of
// its original: defence in depth behind the de-identification engine.
//
// Its one job: harvest every identifying value of an ORIGINAL HL7v2 message
// or FHIR resource into a [Set] (name parts, identifiers, phones, e-mails,
// address lines and cities, postal codes, full dates, FHIR resource ids),
// then report whether a de-identified OUTPUT (an HL7v2 message, FHIR JSON,
// a dataset row's strings, a Kafka record) still contains any of them.
//
// The harvest is independent of the engine's own (its own field table,
// [HL7Fields]): a field the engine forgets to treat is still checked.
// Matching is case-insensitive (ASCII and Unicode letters) and on token
// boundaries; which values are checked, and how, is data ([Rules]): values
// too short or too common to be identifying on their own are matched only
// in a longer form, never alone, so that valid records are not refused.
//
// A [Hit] is an error naming the category, where the value was in the
// original (a field such as "PID-3" or a FHIR element such as
// "Identifier.value") and where it was found in the output (a field such as
// "OBX-5", a JSON path, a column) — never the value.
//
// A Set is reused record after record (Reset keeps its storage): harvesting
// and checking allocate nothing once warm. A Set is not safe for
// concurrent use; use one per goroutine.
package leakguard
