// Package deid de-identifies HL7v2 messages, FHIR R4 resources and free text under HIPAA Safe Harbor.
package deid
