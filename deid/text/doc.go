// Package text scrubs protected health information (PHI) out of free text.
//
// Its one job: given a free-text value (an HL7v2 OBX-5/NTE-3 text, a FHIR
// narrative or string, a whole plain-text note), return the same text with
// every HIPAA Safe Harbor identifier replaced by a category tag such as
// "[NAME]" or "[DATE]", keeping clinical content (lab values, units, doses,
// codes, blood pressures, times, bare years, ages under 90) intact.
//
// A [Scrubber] is compiled once with [New] and is safe for concurrent use.
// Each call may pass a [Known] set: the PHI values found in the structured
// part of the same message (the patient's name parts, identifiers, phones,
// dates, street and city), which are matched in the text first, on token
// boundaries and case-insensitively. Generic detectors then run in a single
// hand-written scan over the bytes with first-byte dispatch: phone and fax
// numbers, SSNs, e-mail addresses, URLs, IPv4/IPv6 addresses, numeric and
// spelled-out dates, ZIP codes after a state or "zip" cue, identifiers after
// cue words (MRN, account, member id, policy, license, plate, VIN, serial),
// ages of 90 and over, names after titles and cue words, and street addresses.
//
// Replacement counts are reported per [Category] in a [Counts] value; counts
// never contain the replaced values.
package text
