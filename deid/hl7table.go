package deid

// This file: the HL7v2 field table seen from outside (rules' leak lint, the
// generated docs/deid-hl7.md): what de-identification does to each segment,
// field and component.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
)

// Treatment is what HL7v2 de-identification does to a component.
type Treatment uint8

// Treatments.
const (
	// Dropped: the segment is dropped (not in the table, or a Z-segment).
	Dropped Treatment = iota
	// KeepCode: kept as a code or value, and swept: a part equal to an
	// identifier of the message is removed, a timestamp (well-formed or not)
	// becomes its year, a part that reads as text is scrubbed.
	KeepCode
	// ScrubText: free text, through the free-text scrubber.
	ScrubText
	// Pseudonymize: replaced by a keyed pseudonym.
	Pseudonymize
	// GeneralizeDate: reduced to the year (or shifted under the shift
	// profile); malformed values to the year they start with, else removed.
	GeneralizeDate
	// Generalize: reduced (ZIP to ZIP3, or 000 for restricted areas).
	Generalize
	// Remove: cleared (its values are remembered to scrub free text).
	Remove
	// ByValueType: OBX-5, treated by the value type in OBX-2.
	ByValueType
)

var treatmentNames = [...]string{
	Dropped: "dropped", KeepCode: "keep-code", ScrubText: "scrub-text", Pseudonymize: "pseudonymize",
	GeneralizeDate: "generalize-date", Generalize: "generalize", Remove: "remove", ByValueType: "by-value-type",
}

// String returns the treatment's name as docs/deid-hl7.md writes it.
func (t Treatment) String() string {
	if int(t) < len(treatmentNames) {
		return treatmentNames[t]
	}
	return fmt.Sprintf("Treatment(%d)", t)
}

// HL7Segments returns the names of the segments HL7v2 de-identification
// keeps, sorted (Z-segments are dropped unless Config.KeepZSegments lists
// them, and the ZDI provenance segment is added).
func HL7Segments() []string {
	out := make([]string, 0, len(hl7Segments))
	for s := range hl7Segments {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// HL7Treatment returns what de-identification does to component comp of
// field of segment seg (HL7 v2.5.1 numbering; comp 0: the field as a whole,
// the strictest treatment of a part that survives).
func HL7Treatment(seg string, field, comp int) Treatment {
	frs, ok := hl7Segments[seg]
	if !ok || field < 1 {
		return Dropped
	}
	for _, fr := range frs {
		if fr.field == field {
			return fr.rule.treatment(comp)
		}
	}
	return KeepCode
}

// treatment returns the treatment of component comp (0: the whole field) under r.
func (r rule) treatment(comp int) Treatment {
	switch r.k {
	case kKeep:
		return KeepCode
	case kRemove, kName, kPhone:
		return Remove
	case kAddr:
		switch comp {
		case 0, 5:
			return Generalize
		case 4, 6, 7:
			return KeepCode
		}
		return Remove
	case kIDs:
		switch comp {
		case 0, 1:
			return Pseudonymize
		case 4, 5:
			return KeepCode
		}
		return Remove
	case kEI:
		if comp <= 1 {
			return Pseudonymize
		}
		return KeepCode // namespace parts; a part that reads as a number is pseudonymized
	case kEIP:
		return Pseudonymize
	case kDate, kDOB:
		return GeneralizeDate
	case kText:
		return ScrubText
	case kCoded, kComp:
		if comp == 0 {
			switch {
			case r.text != 0:
				return ScrubText
			case r.date != 0:
				return GeneralizeDate
			}
			return KeepCode
		}
		if comp < 32 {
			switch bit := uint32(1) << comp; {
			case r.text&bit != 0:
				return ScrubText
			case r.date&bit != 0:
				return GeneralizeDate
			}
		}
		return KeepCode
	case kOBX5:
		return ByValueType
	}
	return Remove
}

// describe says, for docs/deid-hl7.md, what r does to a field, component
// by component.
func (r rule) describe() string {
	switch r.k {
	case kRemove:
		return "remove"
	case kName:
		return "remove (person name; parts remembered for free text)"
	case kPhone:
		return "remove (telecom; numbers and e-mails remembered for free text)"
	case kAddr:
		return "generalize: .4 state, .6 country, .7 type kept; .5 ZIP → ZIP3 (000 if restricted); other components removed"
	case kIDs:
		return "pseudonymize .1 (namespaced by the .4 authority); .4 authority and .5 type kept; other components removed; SS/DL/PPN-typed repetitions removed"
	case kEI:
		return "pseudonymize .1 and any other part that reads as a number; namespace parts kept"
	case kEIP:
		return "pseudonymize both entity identifiers (placer and filler)"
	case kDate:
		return "generalize-date"
	case kDOB:
		return "generalize-date; removed entirely at age 90 or older"
	case kText:
		return "scrub-text"
	case kCoded, kComp:
		var parts []string
		if r.k == kCoded {
			parts = append(parts, "coded element")
		}
		if r.text != 0 {
			parts = append(parts, compList(r.text)+" scrub-text")
		}
		if r.date != 0 {
			parts = append(parts, compList(r.date)+" generalize-date")
		}
		parts = append(parts, "other components keep-code")
		if r.k == kCoded {
			parts = append(parts, "removed if the coding system names counties (FIPS, GNIS)")
		}
		return strings.Join(parts, "; ")
	case kOBX5:
		return "by value type (OBX-2), table below"
	}
	return "keep-code"
}

// compList writes the components of a mask: ".2 .5 .9".
func compList(m uint32) string {
	var s []string
	for c := 1; c < 32; c++ {
		if m&(1<<c) != 0 {
			s = append(s, fmt.Sprintf(".%d", c))
		}
	}
	return strings.Join(s, " ")
}

// safeHarborID names the identifier of 45 CFR 164.514(b)(2) a category
// stands for, by its letter in docs/safe-harbor.md.
func safeHarborID(c text.Category) string {
	switch c {
	case text.Name:
		return "A"
	case text.Address, text.ZIP:
		return "B"
	case text.Date, text.Age:
		return "C"
	}
	return string(rune('A' + int(c) - 2))
}

// hl7TableMarkdown renders the field table as docs/deid-hl7.md.
func hl7TableMarkdown() string {
	var b strings.Builder
	b.WriteString(`# HL7v2 de-identification table

Generated from the field table in ` + "`deid/hl7rules.go`" + ` by ` + "`go test ./deid -run TestHL7DocTable -update-docs`" + `;
a test fails when this file and the table differ. Read it side by side with
` + "`../shared/docs/safe-harbor.md`" + ` (the letters A-R below are its identifiers). HL7 v2.5.1 numbering.

**Treatments.** ` + "`keep-code`" + `: kept as a code or value, and swept part by part (the text between
separators): a part equal to an identifier value of the same message is removed, a timestamp (well-formed
or not) becomes its year, and a part that reads as text (spaces, punctuation, seven digits or six in a row) goes
through the free-text scrubber. ` + "`scrub-text`" + `: free text through the scrubber, part by part (separators
stay). ` + "`pseudonymize`" + `: keyed HMAC pseudonym. ` + "`generalize-date`" + `: the year (shifted under the
` + "`shift`" + ` profile); a malformed timestamp becomes the year it starts with (both profiles), or is removed
when no plausible year can be read. ` + "`generalize`" + `: ZIP → ZIP3. ` + "`remove`" + `: cleared, its values
remembered to scrub free text.

**Segments.** Segments not listed are **dropped** (unknown content may hold anything), and so are
Z-segments unless ` + "`Config.KeepZSegments`" + ` allowlists them. In a listed segment, fields not listed are
` + "`keep-code`" + `. A ` + "`ZDI`" + ` provenance segment is appended to every message.

**Identifier types removed** (CX-5 in PID-3 and other CX fields): ` + "`")
	var types []string
	for t := range idTypesRemoved {
		types = append(types, t)
	}
	slices.Sort(types)
	b.WriteString(strings.Join(types, " ") + "`" + `. Other identifiers are pseudonymized under their assigning
authority (CX-4; see ` + "`NormalizeAuthority`" + `).

| field | Safe Harbor | treatment |
|---|---|---|
`)
	for _, seg := range HL7Segments() {
		frs := slices.Clone(hl7Segments[seg])
		slices.SortFunc(frs, func(a, c fieldRule) int { return a.field - c.field })
		if len(frs) == 0 {
			fmt.Fprintf(&b, "| %s | | every field keep-code |\n", seg)
			continue
		}
		for _, fr := range frs {
			id := ""
			switch fr.k {
			case kKeep, kText, kCoded, kOBX5:
			case kComp:
				if fr.date != 0 {
					id = safeHarborID(text.Date)
				}
			default:
				id = safeHarborID(fr.cat)
			}
			fmt.Fprintf(&b, "| %s-%d | %s | %s |\n", seg, fr.field, id, fr.describe())
		}
	}
	b.WriteString("\n**OBX-5 by value type (OBX-2)**\n\n| value types | treatment |\n|---|---|\n")
	for _, t := range obx5Types {
		fmt.Fprintf(&b, "| %s | %s |\n", t.types, t.rule.describe())
	}
	b.WriteString("| TX FT ST and any other | scrub-text |\n")
	return b.String()
}
