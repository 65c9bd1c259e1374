package deid

import (
	"slices"

	"github.com/safeharbor/safeharbor/deid/text"
)

// kind is how one HL7v2 field is treated.
type kind uint8

const (
	kKeep   kind = iota // kept; full dates inside are still reduced to the year (date sweep)
	kRemove             // cleared
	kName               // person name (XPN/XCN/PN): cleared, parts remembered for free text
	kPhone              // telecom (XTN): cleared, numbers and e-mails remembered
	kAddr               // address (XAD): state, ZIP3, country and type kept
	kIDs                // identifier list (CX): CX-1 pseudonymized, authority and type kept; SSN/licence types removed
	kEI                 // entity identifier (EI): EI-1 pseudonymized, namespace kept
	kEIP                // parent identifier pair (EIP): both EI-1 pseudonymized
	kDate               // date/time: year (or shifted)
	kDOB                // birth date: year, removed entirely at 90 or older
	kText               // free text: scrubbed
	kCoded              // coded element (CE/CWE): text components scrubbed, codes kept
	kOBX5               // OBX-5: by the value type in OBX-2
)

type rule struct {
	k   kind
	cat text.Category
}

type fieldRule struct {
	field int
	rule
}

var (
	keepR   = rule{k: kKeep}
	nameR   = rule{kName, text.Name}
	phoneR  = rule{kPhone, text.Phone}
	addrR   = rule{kAddr, text.Address}
	dateR   = rule{kDate, text.Date}
	dobR    = rule{kDOB, text.Date}
	textR   = rule{kText, text.Name}
	codedR  = rule{kCoded, text.Name}
	mrnR    = rule{kIDs, text.MRN}
	acctR   = rule{kIDs, text.Account}
	planR   = rule{kIDs, text.HealthPlan}
	otherR  = rule{kIDs, text.OtherID}
	eiR     = rule{kEI, text.OtherID}
	eipR    = rule{kEIP, text.OtherID}
	ssnR    = rule{kRemove, text.SSN}
	licR    = rule{kRemove, text.License}
	deviceR = rule{kRemove, text.Device}
	geoR    = rule{kRemove, text.Address}
	rmNameR = rule{kRemove, text.Name} // employer / organisation names of the patient's side
	rmIDR   = rule{kRemove, text.OtherID}
	urlR    = rule{kRemove, text.URL}
)

func f(n int, r rule) fieldRule { return fieldRule{n, r} }

// hl7Segments lists the segments kept, with the treatment of their
// identifier fields (HL7 v2.5.1 numbering; see docs/safe-harbor.md). Fields
// not listed are kept, with full dates inside them reduced to the year.
// Segments not listed here, and Z-segments, are dropped: unknown content may
// hold anything.
var hl7Segments = map[string][]fieldRule{
	"MSH": {f(7, dateR), f(10, eiR)},
	"EVN": {f(2, dateR), f(3, dateR), f(6, dateR)},
	"PID": {f(2, mrnR), f(3, mrnR), f(4, mrnR), f(5, nameR), f(6, nameR), f(7, dobR), f(9, nameR),
		f(11, addrR), f(12, geoR), f(13, phoneR), f(14, phoneR), f(18, acctR), f(19, ssnR), f(20, licR),
		f(21, rmIDR), f(23, geoR), f(29, dateR), f(33, dateR), f(40, phoneR)},
	"PD1": {f(10, mrnR), f(13, dateR), f(14, rmNameR), f(17, dateR), f(18, dateR)},
	"NK1": {f(2, nameR), f(4, addrR), f(5, phoneR), f(6, phoneR), f(8, dateR), f(9, dateR),
		f(12, rmIDR), f(13, rmNameR), f(16, dobR), f(26, nameR), f(30, nameR), f(31, phoneR),
		f(32, addrR), f(33, rmIDR), f(37, ssnR), f(38, geoR), f(40, phoneR), f(41, phoneR)},
	"PV1": {f(5, acctR), f(19, acctR), f(25, dateR), f(30, dateR), f(35, dateR), f(37, geoR),
		f(44, dateR), f(45, dateR), f(50, acctR)},
	"PV2": {f(3, codedR), f(8, dateR), f(9, dateR), f(12, textR), f(16, dateR), f(26, dateR), f(29, dateR),
		f(33, dateR), f(46, dateR), f(47, dateR), f(48, dateR)},
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
	"MRG": {f(1, mrnR), f(2, mrnR), f(3, acctR), f(4, mrnR), f(5, acctR), f(6, acctR), f(7, nameR)},
	"ORC": {f(2, eiR), f(3, eiR), f(4, eiR), f(8, eipR), f(9, dateR), f(14, phoneR), f(15, dateR),
		f(16, codedR), f(27, dateR)},
	"OBR": {f(2, eiR), f(3, eiR), f(6, dateR), f(7, dateR), f(8, dateR), f(12, codedR), f(13, textR),
		f(14, dateR), f(17, phoneR), f(18, rmIDR), f(19, rmIDR), f(20, rmIDR), f(21, rmIDR), f(22, dateR),
		f(29, eipR), f(31, codedR), f(36, dateR), f(39, codedR), f(43, codedR)},
	"OBX": {f(5, rule{k: kOBX5}), f(12, dateR), f(13, rmIDR), f(14, dateR), f(18, deviceR), f(19, dateR),
		f(21, eiR)},
	"NTE": {f(3, textR), f(6, dateR), f(7, dateR), f(8, dateR)},
	"TXA": {f(4, dateR), f(6, dateR), f(7, dateR), f(8, dateR), f(12, eiR), f(13, eiR), f(14, eiR),
		f(15, eiR), f(16, urlR), f(21, textR), f(25, textR), f(26, dateR)},
	"SPM": {f(2, eipR), f(3, eipR), f(14, textR), f(17, dateR), f(18, dateR), f(19, dateR), f(30, otherR),
		f(31, otherR), f(32, eiR)},
	"DG1": {f(4, textR), f(5, dateR), f(19, dateR), f(20, eiR)},
	"PR1": {f(4, textR), f(5, dateR), f(19, eiR)},
	"ACC": {f(1, dateR), f(3, geoR), f(8, textR), f(9, nameR), f(11, addrR)},
	"SCH": {f(1, eiR), f(2, eiR), f(4, eiR), f(6, codedR), f(13, phoneR), f(14, addrR), f(17, phoneR),
		f(18, addrR), f(21, phoneR), f(23, eiR), f(24, eiR), f(26, eiR), f(27, eiR)},
	"AIS": {f(4, dateR)},
	"AIG": {f(8, dateR)},
	"AIL": {f(6, dateR)},
	"AIP": {f(6, dateR)},
	"RGS": {},
	"TQ1": {f(7, dateR), f(8, dateR)},
	"TQ2": {},
	"RXA": {f(3, dateR), f(4, dateR), f(15, deviceR), f(16, dateR), f(22, dateR)},
	"RXR": {},
	"RXE": {},
	"RXO": {},
	"RXC": {},
	"RXD": {f(3, dateR)},
	"RXG": {},
	"AL1": {f(5, textR), f(6, dateR)},
	"PRB": {f(2, dateR), f(7, dateR), f(8, dateR), f(9, dateR), f(16, dateR)},
	"FT1": {f(4, dateR), f(5, dateR)},
	"ROL": {f(11, addrR), f(12, phoneR)},
	"PRT": {f(10, deviceR), f(14, addrR), f(15, phoneR), f(16, deviceR)},
	"SFT": {},
	"MSA": {},
	"ERR": {},
	"CTI": {},
	"SAC": {f(3, eiR), f(10, eiR)},
	"DB1": {f(3, rmIDR)},
	"ODS": {},
	"ODT": {},
	"BLG": {},
	"UB1": {},
	"UB2": {},
	"ARV": {},
	"IAM": {f(8, textR), f(11, dateR)},
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
