package rules

import (
	"fmt"
	"strings"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/hl7"
)

// keptSegments are the segments de-identification keeps (deid's segment
// table) plus its ZDI provenance segment. A path into any other segment
// reads nothing, so it is an unknown path.
var keptSegments = map[string]bool{"ZDI": true}

func init() {
	for _, s := range deid.HL7Segments() {
		keptSegments[s] = true
	}
}

// identKind is why a field would expose a direct identifier.
type identKind uint8

const (
	idNone identKind = iota
	idName
	idPhone
	idSSN
	idLicence
	idAddress // XAD: street, other designation, city and county components
	idGeo     // whole geographic field (county code, birth place)
)

var identWhy = [...]string{
	idName:    "a person name (XPN): names are direct identifiers",
	idPhone:   "a telephone number or e-mail (XTN): telecom values are direct identifiers",
	idSSN:     "a Social Security number: SSNs are direct identifiers",
	idLicence: "a driver's licence number: licence numbers are direct identifiers",
	idAddress: "an address (XAD) street or city: geographic units smaller than a state are identifiers (use .4 state, .5 ZIP3, .6 country)",
	idGeo:     "a geographic subdivision smaller than a state: it is an identifier",
}

func fieldList(m map[string]identKind, k identKind, spec string) {
	for _, s := range strings.Fields(spec) {
		m[s] = k
	}
}

// hl7Ident maps "SEG-n" to the identifier the field holds.
var hl7Ident = map[string]identKind{}

// hl7Dates lists the date/time fields ("SEG-n"); full values would be full dates.
var hl7Dates = map[string]bool{}

func init() {
	fieldList(hl7Ident, idName, `PID-5 PID-6 PID-9 NK1-2 NK1-26 NK1-30 GT1-3 GT1-4 GT1-42 GT1-45 IN1-6 IN1-16 IN1-30
		IN2-3 IN2-7 IN2-9 IN2-22 IN2-40 IN2-49 IN2-52 MRG-7 ACC-9`)
	fieldList(hl7Ident, idPhone, `PID-13 PID-14 PID-40 NK1-5 NK1-6 NK1-31 NK1-40 NK1-41 GT1-6 GT1-7 GT1-18 GT1-46
		IN1-7 IN2-50 IN2-53 IN2-58 IN2-63 IN2-64 ORC-14 OBR-17 SCH-13 SCH-17 SCH-21 ROL-12 PRT-15`)
	fieldList(hl7Ident, idSSN, `PID-19 NK1-37 GT1-12 IN2-2`)
	fieldList(hl7Ident, idLicence, `PID-20`)
	fieldList(hl7Ident, idAddress, `PID-11 NK1-4 NK1-32 GT1-5 GT1-17 IN1-5 IN1-19 IN1-44 ACC-11 SCH-14 SCH-18
		ROL-11 PRT-14`)
	fieldList(hl7Ident, idGeo, `PID-12 PID-23 NK1-38 GT1-56 IN1-52 IN2-13 PV1-37 ACC-3`)
	for _, s := range strings.Fields(`MSH-7 EVN-2 EVN-3 EVN-6 PID-7 PID-29 PID-33 PD1-13 PD1-17 PD1-18 NK1-8 NK1-9
		NK1-16 PV1-25 PV1-30 PV1-35 PV1-44 PV1-45 PV2-8 PV2-9 PV2-16 PV2-26 PV2-29 PV2-33 PV2-46 PV2-47 PV2-48
		GT1-8 GT1-13 GT1-14 GT1-24 GT1-31 GT1-32 IN1-12 IN1-13 IN1-18 IN1-24 IN1-26 IN1-29 IN1-51 IN2-17 IN2-44
		IN2-45 IN2-55 IN2-56 ORC-9 ORC-15 ORC-27 OBR-6 OBR-7 OBR-8 OBR-14 OBR-22 OBR-36 OBX-12 OBX-14 OBX-19
		NTE-6 NTE-7 NTE-8 TXA-4 TXA-6 TXA-7 TXA-8 TXA-26 SPM-17 SPM-18 SPM-19 DG1-5 DG1-19 PR1-5 ACC-1 AIS-4
		AIG-8 AIL-6 AIP-6 TQ1-7 TQ1-8 RXA-3 RXA-4 RXA-16 RXA-22 RXD-3 AL1-6 PRB-2 PRB-7 PRB-8 PRB-9 PRB-16
		FT1-4 FT1-5`) {
		hl7Dates[s] = true
	}
}

// hl7Path is a compiled HL7 path.
type hl7Path struct {
	src  string
	p    hl7.Path
	code uint32 // segCode(p.Segment)
	date bool   // a date/time element: full values need year()
}

// checkHL7Path parses and vets an HL7 path: the segment must survive
// de-identification and the element must not be a direct identifier.
func checkHL7Path(s string) (hl7Path, error) {
	p, err := hl7.ParsePath(s)
	if err != nil {
		return hl7Path{}, fmt.Errorf("bad HL7 path %q: %v", s, trimHL7(err))
	}
	if p.Field == 0 {
		return hl7Path{}, fmt.Errorf("HL7 path %q names a whole segment; name a field such as %s-3", s, p.Segment)
	}
	if p.Segment[0] == 'Z' && p.Segment != "ZDI" {
		return hl7Path{}, fmt.Errorf("%q reads Z-segment %s: Z-segment content is not scrubbed by de-identification (it may hold free-text identifiers)", s, p.Segment)
	}
	if !keptSegments[p.Segment] {
		return hl7Path{}, fmt.Errorf("unknown path %q: segment %s is not an HL7 segment that de-identification keeps", s, p.Segment)
	}
	key := fmt.Sprintf("%s-%d", p.Segment, p.Field)
	switch k := hl7Ident[key]; k {
	case idNone:
	case idAddress:
		if p.Comp == 0 || p.Comp == 1 || p.Comp == 2 || p.Comp == 3 || p.Comp == 9 {
			return hl7Path{}, fmt.Errorf("column would expose %s: %q is %s", identLabel(k), s, identWhy[k])
		}
	default:
		return hl7Path{}, fmt.Errorf("column would expose %s: %q is %s", identLabel(k), s, identWhy[k])
	}
	// the rest follows deid's field table: a component it removes is an
	// identifier (what is left there is not data); text it keeps is read
	// scrubbed, codes swept, identifiers as pseudonyms, dates as years (or
	// shifted: so a full value needs year())
	tr := deid.HL7Treatment(p.Segment, p.Field, p.Comp)
	if p.Segment != "ZDI" && tr == deid.Remove {
		return hl7Path{}, fmt.Errorf("column would expose an identifier: %q is removed by de-identification (an identifier under Safe Harbor; see docs/deid-hl7.md)", s)
	}
	date := p.Sub <= 1 && (hl7Dates[key] && p.Comp <= 1 || tr == deid.GeneralizeDate)
	return hl7Path{src: s, p: p, code: segCode(p.Segment), date: date}, nil
}

func identLabel(k identKind) string {
	switch k {
	case idName:
		return "a name"
	case idPhone:
		return "a phone number"
	case idSSN:
		return "an SSN"
	case idLicence:
		return "a licence number"
	}
	return "an address"
}

func trimHL7(err error) string { return strings.TrimPrefix(err.Error(), "hl7: ") }

// isHL7Path reports whether s looks like an HL7 path (SEG-n...).
func isHL7Path(s string) bool {
	if len(s) < 5 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0) {
			return false
		}
	}
	return s[3] == '-' || s[3] == '['
}

// isSegmentName reports whether s is a three-character segment name.
func isSegmentName(s string) bool { return len(s) == 3 && isHL7Path(s+"-1") }
