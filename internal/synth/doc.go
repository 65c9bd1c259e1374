// Package synth generates seeded, deterministic synthetic healthcare traffic:
// HL7v2 ER7 messages (ADT A01/A03/A08, ORU R01, ORM O01, MDM T02, SIU S12)
// and FHIR R4 JSON (Patient, Encounter, Observation, Condition, Bundles and
// NDJSON). Every identity comes from a fixed pool of fictitious patients, so
// the same patient recurs across messages and tests can check that its
// values (Patient.PHIValues) do not leak through de-identification.
//
// The same seed and Options always produce the same bytes. All data is
// invented: SSNs start with 9 (never issued), phone numbers use 555-01xx.
package synth
