package deid

import (
	"slices"
	"strings"

	"github.com/safeharbor/safeharbor/deid/text"
)

// kind is how one HL7v2 field is treated. Composite kinds (kCoded, kComp)
// give each component its own treatment through the rule's masks.
type kind uint8

const (
	kKeep   kind = iota // kept and swept (see keepAppend): identifier values removed, dates to the year, text-like parts scrubbed
	kRemove             // cleared
	kName               // person name (XPN/XCN/PN): cleared, parts remembered for free text
	kPhone              // telecom (XTN): cleared, numbers and e-mails remembered
	kAddr               // address (XAD): state, ZIP3, country and type kept
	kIDs                // identifier list (CX): CX-1 pseudonymized, authority and type kept; SSN/licence types removed
	kEI                 // entity identifier (EI): EI-1 and any other part that reads as a number pseudonymized
	kEIP                // parent identifier pair (EIP): both EIs pseudonymized
	kDate               // date/time: year (or shifted); malformed values to the year, or removed
	kDOB                // birth date: year, removed entirely at 90 or older
	kText               // free text: scrubbed
	kCoded              // coded element (CE/CWE/CNE): text components (rule.text) scrubbed, codes kept and swept
	kComp               // composite: components in rule.text scrubbed, in rule.date dates, others kept and swept
	kOBX5               // OBX-5: by the value type in OBX-2
)

type rule struct {
	k   kind
	cat text.Category
	// components (bit c: component c, 1-based) scrubbed as free text, and
	// treated as dates, for kCoded and kComp
	text, date uint32
}

type fieldRule struct {
	field int
	rule
}

// cmask returns the mask of components cs.
func cmask(cs ...int) uint32 {
	var m uint32
	for _, c := range cs {
		m |= 1 << c
	}
	return m
}

var (
	keepR   = rule{k: kKeep}
	nameR   = rule{k: kName, cat: text.Name}
	phoneR  = rule{k: kPhone, cat: text.Phone}
	addrR   = rule{k: kAddr, cat: text.Address}
	dateR   = rule{k: kDate, cat: text.Date}
	dobR    = rule{k: kDOB, cat: text.Date}
	textR   = rule{k: kText, cat: text.Name}
	codedR  = rule{k: kCoded, cat: text.Name, text: cmask(2, 5, 9)} // CE/CWE/CNE: .2 text, .5 alternate text, .9 original text
	mrnR    = rule{k: kIDs, cat: text.MRN}
	acctR   = rule{k: kIDs, cat: text.Account}
	planR   = rule{k: kIDs, cat: text.HealthPlan}
	otherR  = rule{k: kIDs, cat: text.OtherID}
	eiR     = rule{k: kEI, cat: text.OtherID}
	eipR    = rule{k: kEIP, cat: text.OtherID}
	ssnR    = rule{k: kRemove, cat: text.SSN}
	licR    = rule{k: kRemove, cat: text.License}
	deviceR = rule{k: kRemove, cat: text.Device}
	geoR    = rule{k: kRemove, cat: text.Address}
	rmNameR = rule{k: kRemove, cat: text.Name} // employer / organisation names of the patient's side
	rmIDR   = rule{k: kRemove, cat: text.OtherID}
	urlR    = rule{k: kRemove, cat: text.URL}
	// TQ (timing/quantity): .4 start and .5 end date/time, .7 condition and .8 text
	tqR = rule{k: kComp, cat: text.Date, text: cmask(7, 8), date: cmask(4, 5)}
	// SPS (specimen source): .3 collection method (TX) text; .1/.2/.4/.5/.6/.7 are coded
	// (their text travels in subcomponents, swept as kept text)
	spsR = rule{k: kComp, cat: text.Name, text: cmask(3)}
	// DR (date range), DLN-type dates in composites: every component a date
	drR = rule{k: kComp, cat: text.Date, date: cmask(1, 2)}
	// RPT/OSD-style text-with-date composites are not listed: the default sweep covers them
)

func f(n int, r rule) fieldRule { return fieldRule{n, r} }

// hl7Segments lists the segments kept, with the treatment of their fields
// (HL7 v2.5.1 numbering; see docs/safe-harbor.md and the generated
// docs/deid-hl7.md). Fields not listed are kept and swept (kKeep): a part
// equal to an identifier of the message is removed, a full or malformed
// timestamp becomes its year, and a part that reads as text (spaces,
// punctuation, seven digits or six in a row) goes through the free-text scrubber.
// Segments not listed here, and Z-segments, are dropped: unknown content may
// hold anything.
var hl7Segments = map[string][]fieldRule{
	// message control
	"MSH": {f(7, dateR), f(10, eiR)},
	"EVN": {f(2, dateR), f(3, dateR), f(6, dateR)},
	"SFT": {f(6, dateR)},
	"MSA": {},
	"ERR": {f(7, textR), f(8, textR)},
	"DSC": {},
	"ADD": {f(1, textR)},
	"OVR": {f(3, textR)},
	// patient administration
	"PID": {f(2, mrnR), f(3, mrnR), f(4, mrnR), f(5, nameR), f(6, nameR), f(7, dobR), f(9, nameR),
		f(11, addrR), f(12, geoR), f(13, phoneR), f(14, phoneR), f(18, acctR), f(19, ssnR), f(20, licR),
		f(21, rmIDR), f(23, geoR), f(29, dateR), f(33, dateR), f(40, phoneR)},
	"PD1": {f(10, mrnR), f(13, dateR), f(14, rmNameR), f(17, dateR), f(18, dateR)},
	"NK1": {f(2, nameR), f(3, codedR), f(4, addrR), f(5, phoneR), f(6, phoneR), f(8, dateR), f(9, dateR),
		f(12, rmIDR), f(13, rmNameR), f(16, dobR), f(26, nameR), f(30, nameR), f(31, phoneR),
		f(32, addrR), f(33, rmIDR), f(37, ssnR), f(38, geoR), f(40, phoneR), f(41, phoneR)},
	"PV1": {f(5, acctR), f(19, acctR), f(25, dateR), f(30, dateR), f(35, dateR), f(37, geoR),
		f(44, dateR), f(45, dateR), f(50, acctR)},
	"PV2": {f(3, codedR), f(8, dateR), f(9, dateR), f(12, textR), f(16, dateR), f(26, dateR), f(29, dateR),
		f(33, dateR), f(46, dateR), f(47, dateR), f(48, dateR)},
	"MRG": {f(1, mrnR), f(2, mrnR), f(3, acctR), f(4, mrnR), f(5, acctR), f(6, acctR), f(7, nameR)},
	"DB1": {f(3, rmIDR), f(5, dateR), f(6, dateR)},
	"ROL": {f(1, eiR), f(5, dateR), f(6, dateR), f(11, addrR), f(12, phoneR)},
	"PRT": {f(1, eiR), f(10, deviceR), f(11, dateR), f(12, dateR), f(14, addrR), f(15, phoneR), f(16, deviceR)},
	"AL1": {f(3, codedR), f(5, textR), f(6, dateR)},
	"IAM": {f(3, codedR), f(5, textR), f(6, dateR), f(7, eiR), f(8, textR), f(11, dateR), f(13, nameR),
		f(14, codedR), f(15, nameR), f(16, codedR), f(18, addrR), f(19, phoneR), f(20, dateR)},
	"DG1": {f(3, codedR), f(4, textR), f(5, dateR), f(19, dateR), f(20, eiR)},
	"DRG": {f(2, dateR)},
	"PR1": {f(3, codedR), f(4, textR), f(5, dateR), f(19, eiR)},
	"ACC": {f(1, dateR), f(3, geoR), f(8, textR), f(9, nameR), f(11, addrR)},
	"ABS": {f(4, dateR), f(7, dateR)},
	"PDA": {f(1, codedR), f(4, dateR), f(7, drR)},
	"UB1": {},
	"UB2": {},
	"ARV": {f(5, textR)},
	// financial
	"GT1": {f(2, acctR), f(3, nameR), f(4, nameR), f(5, addrR), f(6, phoneR), f(7, phoneR), f(8, dobR),
		f(12, ssnR), f(13, dateR), f(14, dateR), f(16, rmNameR), f(17, addrR), f(18, phoneR), f(19, rmIDR),
		f(21, rmNameR), f(24, dateR), f(29, rmIDR), f(31, dateR), f(32, dateR), f(42, nameR), f(45, nameR),
		f(46, phoneR), f(51, rmNameR), f(56, geoR)},
	"IN1": {f(5, addrR), f(6, nameR), f(7, phoneR), f(8, planR), f(9, rmNameR), f(10, rmIDR), f(11, rmNameR),
		f(12, dateR), f(13, dateR), f(14, rmIDR), f(16, nameR), f(18, dobR), f(19, addrR), f(24, dateR),
		f(26, dateR), f(28, rmIDR), f(29, dateR), f(30, nameR), f(36, planR), f(44, addrR), f(49, planR),
		f(51, dateR), f(52, geoR)},
	"IN2": {f(1, rmIDR), f(2, ssnR), f(3, nameR), f(4, rmNameR), f(6, planR), f(7, nameR), f(8, planR), f(9, nameR),
		f(10, rmIDR), f(12, rmNameR), f(13, geoR), f(17, dateR), f(22, nameR), f(25, planR), f(26, planR),
		f(40, nameR), f(44, dateR), f(45, dateR), f(49, nameR), f(50, phoneR), f(52, nameR), f(53, phoneR),
		f(55, dateR), f(56, dateR), f(58, phoneR), f(61, planR), f(63, phoneR), f(64, phoneR),
		f(69, rmNameR), f(70, rmNameR)},
	"IN3": {f(2, otherR), f(6, dateR), f(7, dateR), f(9, dateR), f(10, dateR), f(13, dateR), f(15, rmNameR),
		f(16, phoneR), f(22, dateR)},
	"FT1": {f(2, eiR), f(3, eiR), f(4, drR), f(5, dateR), f(23, eiR)},
	"BLG": {f(3, otherR)},
	"AUT": {f(4, dateR), f(5, dateR), f(6, eiR), f(10, dateR)},
	"RF1": {f(6, eiR), f(7, dateR), f(8, dateR), f(9, dateR), f(11, eiR)},
	"CTD": {f(2, nameR), f(3, addrR), f(5, phoneR), f(7, rmIDR)},
	"PRD": {f(8, dateR), f(9, dateR)},
	// orders and observations
	"ORC": {f(2, eiR), f(3, eiR), f(4, eiR), f(7, tqR), f(8, eipR), f(9, dateR), f(14, phoneR), f(15, dateR),
		f(16, codedR), f(27, dateR)},
	"OBR": {f(2, eiR), f(3, eiR), f(6, dateR), f(7, dateR), f(8, dateR), f(12, codedR), f(13, textR),
		f(14, dateR), f(15, spsR), f(17, phoneR), f(18, rmIDR), f(19, rmIDR), f(20, rmIDR), f(21, rmIDR),
		f(22, dateR), f(27, tqR), f(29, eipR), f(31, codedR), f(36, dateR), f(39, codedR), f(43, codedR),
		f(46, codedR)},
	"OBX": {f(5, rule{k: kOBX5}), f(12, dateR), f(13, rmIDR), f(14, dateR), f(18, deviceR), f(19, dateR),
		f(21, eiR)},
	"NTE": {f(3, textR), f(6, dateR), f(7, dateR), f(8, dateR)},
	"TQ1": {f(7, dateR), f(8, dateR), f(10, textR), f(11, textR)},
	"TQ2": {f(2, eiR), f(3, eiR), f(4, eiR)},
	"SPM": {f(2, eipR), f(3, eipR), f(14, textR), f(17, drR), f(18, dateR), f(19, dateR), f(30, otherR),
		f(31, otherR), f(32, eiR)},
	"SAC": {f(1, eiR), f(2, eiR), f(3, eiR), f(4, eiR), f(6, eiR), f(7, dateR), f(10, eiR), f(11, eiR), f(13, eiR)},
	"TXA": {f(4, dateR), f(6, dateR), f(7, dateR), f(8, dateR), f(12, eiR), f(13, eiR), f(14, eiR),
		f(15, eiR), f(16, urlR), f(21, textR), f(25, textR), f(26, dateR)},
	"CTI": {f(1, eiR)},
	"DSP": {f(3, textR)},
	"IPC": {f(1, eiR), f(2, eiR), f(3, eiR), f(4, eiR)},
	"ODS": {f(4, textR)},
	"ODT": {f(3, textR)},
	"PRB": {f(2, dateR), f(3, codedR), f(4, eiR), f(5, eiR), f(7, dateR), f(8, dateR), f(9, dateR),
		f(15, dateR), f(16, dateR), f(17, textR), f(24, textR)},
	"GOL": {f(2, dateR), f(3, codedR), f(4, eiR), f(5, eiR), f(7, dateR), f(8, dateR), f(12, dateR),
		f(13, dateR), f(14, dateR), f(15, tqR), f(17, textR), f(19, dateR), f(21, nameR)},
	"PTH": {f(3, eiR), f(4, dateR), f(6, dateR)},
	"VAR": {f(1, eiR), f(2, dateR), f(3, dateR), f(6, textR)},
	"RQD": {f(10, dateR)},
	"RQ1": {},
	// pharmacy and vaccination
	"RXO": {f(1, codedR), f(6, codedR), f(7, codedR), f(20, codedR)},
	"RXE": {f(1, tqR), f(2, codedR), f(7, codedR), f(21, codedR), f(27, codedR)},
	"RXD": {f(2, codedR), f(3, dateR), f(7, eiR), f(9, textR), f(15, textR), f(16, dateR)},
	"RXG": {f(3, tqR), f(4, codedR), f(9, textR), f(19, textR), f(20, dateR)},
	"RXA": {f(3, dateR), f(4, dateR), f(5, codedR), f(9, codedR), f(15, deviceR), f(16, dateR), f(19, codedR),
		f(22, dateR)},
	"RXR": {},
	"RXC": {f(2, codedR)},
	// blood bank (v2.5)
	"BPO": {f(2, codedR), f(3, codedR), f(6, codedR), f(7, dateR), f(9, addrR), f(10, dateR), f(12, addrR),
		f(13, codedR)},
	"BPX": {f(2, codedR), f(4, dateR), f(5, eiR), f(10, deviceR), f(13, dateR), f(17, eiR), f(19, addrR)},
	"BTX": {f(2, eiR), f(3, codedR), f(5, codedR), f(7, deviceR), f(11, codedR), f(13, dateR), f(16, dateR),
		f(17, dateR), f(18, codedR), f(19, codedR)},
	"BLC": {f(1, codedR)},
	// product experience (adverse events, v2.5 chapter 7)
	"PEO": {f(1, codedR), f(2, codedR), f(3, dateR), f(4, dateR), f(5, dateR), f(6, dateR), f(7, addrR),
		f(13, textR), f(14, textR), f(15, textR), f(16, textR), f(17, textR), f(18, codedR), f(19, nameR),
		f(20, addrR), f(21, phoneR), f(24, dateR)},
	"PES": {f(2, nameR), f(3, addrR), f(4, phoneR), f(5, eiR), f(7, textR), f(8, textR), f(9, dateR),
		f(10, dateR)},
	"PCR": {f(5, dateR), f(6, dateR), f(7, dateR), f(8, dateR), f(12, deviceR), f(18, dateR)},
	"PSH": {f(3, dateR), f(4, dateR), f(5, dateR), f(9, textR), f(12, textR)},
	// clinical trials
	"CSR": {f(1, eiR), f(2, eiR), f(4, mrnR), f(5, mrnR), f(6, dateR), f(9, dateR), f(11, dateR), f(15, dateR)},
	"CSP": {f(2, dateR), f(3, dateR)},
	"CSS": {f(2, dateR)},
	// scheduling
	"SCH": {f(1, eiR), f(2, eiR), f(4, eiR), f(6, codedR), f(11, tqR), f(13, phoneR), f(14, addrR), f(17, phoneR),
		f(18, addrR), f(21, phoneR), f(23, eiR), f(24, eiR), f(26, eiR), f(27, eiR)},
	"ARQ": {f(1, eiR), f(2, eiR), f(11, drR), f(20, phoneR), f(21, addrR), f(24, phoneR), f(26, eiR), f(27, eiR)},
	"RGS": {},
	"AIS": {f(4, dateR)},
	"AIG": {f(8, dateR)},
	"AIL": {f(6, dateR)},
	"AIP": {f(6, dateR)},
	// laboratory automation and master files of tests (no patient fields; kept text is swept)
	"EQU": {f(1, deviceR), f(2, dateR)},
	"INV": {f(12, dateR), f(13, dateR)},
	"SID": {},
	"TCD": {},
	"OM1": {},
	"OM2": {},
	"OM3": {},
	"OM4": {},
	"OM5": {},
}

// obx5Types gives the treatment of OBX-5 by value type (OBX-2); types not
// listed (TX, FT, ST, unknown) are free text.
var obx5Types = []struct {
	types string // space-separated OBX-2 codes
	rule
}{
	{"NM SN NA NR ID IS CP MO TM CQ", keepR},
	{"CE CWE CNE CF", codedR},
	{"DT DTM TS DR", dateR},
	{"ED", rule{k: kRemove, cat: text.Photo}}, // encapsulated data: documents, images
	{"RP", rule{k: kRemove, cat: text.URL}},   // reference pointer to a document or image
	{"XPN PN", nameR},
	{"XAD AD", addrR},
	{"XTN TN", phoneR},
	{"CX", mrnR},
	{"EI HD", eiR}, // entity and hierarchic designators here are instance identifiers (order, study UIDs)
}

// obx5Rule indexes obx5Types by value type.
var obx5Rule = map[string]rule{}

func init() {
	for _, t := range obx5Types {
		for _, vt := range strings.Fields(t.types) {
			obx5Rule[vt] = t.rule
		}
	}
}

// idTypesRemoved are CX-5 identifier types that are removed rather than
// pseudonymized: Social Security, driver's licence, passport and other
// government numbers.
var idTypesRemoved = map[string]text.Category{
	"SS": text.SSN, "SSN": text.SSN, "DL": text.License, "PPN": text.License, "DN": text.License,
}

// segInfo is the compiled form of one hl7Segments entry.
type segInfo struct {
	// rules[n] is the rule of field n; fields past the end are kept.
	rules []rule
	// early lists the fields treated in pass 1, by field number.
	early []fieldRule
	// lastEarly is the highest field number treated in pass 1 (0: none).
	lastEarly int
}

// rule returns the rule of field n.
func (si *segInfo) rule(n int) rule {
	if n < len(si.rules) {
		return si.rules[n]
	}
	return keepR
}

// segIndex maps a segment name (three bytes A-Z or 0-9) to 1 + its index
// in segInfos, or 0 for segments not in hl7Segments.
var (
	segIndex [36 * 36 * 36]uint8
	segInfos []segInfo
)

func init() {
	for name, frs := range hl7Segments {
		si := segInfo{}
		for _, fr := range frs {
			if fr.field >= len(si.rules) {
				si.rules = append(si.rules, make([]rule, fr.field+1-len(si.rules))...)
			}
			si.rules[fr.field] = fr.rule
			if !late(fr.k) {
				si.lastEarly = max(si.lastEarly, fr.field)
				si.early = append(si.early, fr)
			}
		}
		slices.SortFunc(si.early, func(a, b fieldRule) int { return a.field - b.field })
		k, ok := segKey([]byte(name))
		if !ok || len(segInfos) >= 255 {
			panic("deid: bad segment table entry " + name)
		}
		segInfos = append(segInfos, si)
		segIndex[k] = uint8(len(segInfos))
	}
}

// segDigit maps a segment name byte to 0-35, or 255.
func segDigit(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= '0' && c <= '9':
		return int(c-'0') + 26
	}
	return 255
}

// segKey returns the segIndex position of a segment name.
func segKey(name []byte) (int, bool) {
	if len(name) < 3 {
		return 0, false
	}
	a, b, c := segDigit(name[0]), segDigit(name[1]), segDigit(name[2])
	if a > 35 || b > 35 || c > 35 {
		return 0, false
	}
	return (a*36+b)*36 + c, true
}

// segRules returns the rules of the segment whose bytes are data, or nil
// for a segment not in hl7Segments (dropped, or an allowlisted Z-segment).
func segRules(data []byte) *segInfo {
	k, ok := segKey(data)
	if !ok {
		return nil
	}
	if i := segIndex[k]; i != 0 {
		return &segInfos[i-1]
	}
	return nil
}
