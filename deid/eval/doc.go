// Package eval measures a free-text de-identifier against notes annotated
// with gold PHI spans.
//
// Its one job: read annotated notes (BRAT standoff, i2b2/n2c2 2014 de-id XML,
// or JSONL), run a detector over each note's text, and report per-category
// recall, precision and F2 (span- and token-level), the share of non-PHI
// tokens kept, and the missed spans by shape (never by text unless asked).
//
// Offsets. All three formats give offsets in characters (Unicode code
// points) of the note text, as Python and the annotation tools count them;
// the readers convert them to byte offsets of the UTF-8 text, and [Span]
// offsets are byte offsets. A span whose offsets fall outside the text or
// whose stated text differs from the note text at those offsets is an error
// naming the file and line.
//
// Categories. Gold labels of each scheme map to one [Category] through a
// table ([LabelTable]); each category is either core (a HIPAA Safe Harbor
// identifier: names of the patient and relatives, dates other than the year,
// ages of 90 and over, addresses below state level, ZIP codes, contact
// numbers and addresses, record and other identifying numbers, and
// hospital/facility names, which place a patient in a town) or non-core
// (provider and user names, professions, states, countries, rooms and
// departments, ages under 90, bare years). Non-core categories are reported
// on their own and never enter the core totals; a detection that overlaps a
// non-core gold span is not counted as a false alarm.
//
// Matching. A gold span counts as caught when every letter and digit in it
// is covered by detected spans (punctuation and spaces at or inside its
// boundaries do not count: a left-over "(" or "," discloses nothing). A
// token is a maximal run of letters and digits; a gold PHI token is caught
// when all its characters inside gold spans are covered. A detected span (or
// token) is correct when it overlaps any gold span, core or not. Precision
// is attributed to the category of the detector's tag ("[DATE]" -> date).
package eval
