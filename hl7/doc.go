// Package hl7 parses, edits and serializes HL7v2 ER7 messages, frames them over MLLP and builds ACKs.
package hl7
