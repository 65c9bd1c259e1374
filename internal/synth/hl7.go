package synth

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/safeharbor/safeharbor/hl7"
)

const ts = "20060102150405"

// esc escapes free text for an ER7 component with the default delimiters.
func esc(s string) string {
	d := hl7.DefaultDelims
	b, _ := d.AppendEscaped(make([]byte, 0, len(s)+8), s)
	return string(b)
}

// cmp escapes each part and joins them as components, dropping trailing empties.
func cmp(parts ...string) string {
	n := len(parts)
	for n > 0 && parts[n-1] == "" {
		n--
	}
	var b strings.Builder
	for i, p := range parts[:n] {
		if i > 0 {
			b.WriteByte('^')
		}
		b.WriteString(esc(p))
	}
	return b.String()
}

// msgBuf accumulates CR-terminated segments.
type msgBuf struct{ b []byte }

// seg appends a segment; fields[i] is field i+1, already ER7-encoded.
func (m *msgBuf) seg(name string, fields ...string) {
	n := len(fields)
	for n > 0 && fields[n-1] == "" {
		n--
	}
	m.b = append(m.b, name...)
	for _, f := range fields[:n] {
		m.b = append(m.b, '|')
		m.b = append(m.b, f...)
	}
	m.b = append(m.b, '\r')
}

// fields returns a slice for fields 1..n (index 0 unused).
func fields(n int) []string { return make([]string, n+1) }

// HL7 returns the next HL7v2 message, of a kind drawn by the Options weights.
func (g *Gen) HL7() []byte {
	r := g.rng.IntN(g.cum[len(g.cum)-1])
	for i, c := range g.cum {
		if r < c {
			return g.HL7Type(g.kinds[i])
		}
	}
	return g.HL7Type(g.kinds[len(g.kinds)-1])
}

// HL7Type returns the next HL7v2 message of the given kind ("ADT^A01",
// "ORU^R01", ... from Kinds; "ADT_A01" is accepted too). It panics on an
// unknown kind. Segments end with CR; the message is valid ER7 with the
// default delimiters and escaped free text.
func (g *Gen) HL7Type(kind string) []byte {
	kind = strings.Replace(kind, "_", "^", 1)
	at := g.tick()
	_, p := g.nextPatient()
	m := &msgBuf{b: make([]byte, 0, 2048)}
	typ, event, _ := strings.Cut(kind, "^")
	structure := typ + "_" + event
	if kind == "ADT^A08" {
		structure = "ADT_A01"
	}
	g.msh(m, typ+"^"+event+"^"+structure, at)
	var obxSeq int
	switch kind {
	case "ADT^A01", "ADT^A03", "ADT^A08":
		m.seg("EVN", event, at.Format(ts))
		g.pid(m, p)
		g.nk1(m, p)
		g.pv1(m, p, at, kind == "ADT^A03")
		g.dg1(m, at)
		g.gt1(m, p)
		g.in1(m, p)
	case "ORU^R01":
		g.pid(m, p)
		g.pv1(m, p, at, false)
		obxSeq = g.oruBody(m, p, at)
	case "ORM^O01":
		g.pid(m, p)
		g.pv1(m, p, at, false)
		g.ormBody(m, p, at)
	case "MDM^T02":
		m.seg("EVN", event, at.Format(ts))
		g.pid(m, p)
		g.pv1(m, p, at, false)
		obxSeq = g.mdmBody(m, p, at)
	case "SIU^S12":
		g.siuBody(m, p, at)
	default:
		panic("synth: unknown HL7 kind " + kind)
	}
	if t := g.opts.TargetSize; t > 0 {
		for len(m.b) < t {
			obxSeq++
			f := fields(14)
			f[1] = strconv.Itoa(obxSeq)
			f[2] = "TX"
			f[3] = cmp("11506-3", "Progress note", "LN")
			f[5] = esc(g.noteLine(p, at))
			f[11] = "F"
			f[14] = at.Format(ts)
			m.seg("OBX", f[1:]...)
		}
	}
	return m.b
}

func (g *Gen) msh(m *msgBuf, msgType string, at time.Time) {
	fac := g.pick([]string{"GENHOSP", "STMARYS", "NORTHCLINIC", "LABCORP1"})
	ctrl := fmt.Sprintf("%s%06d", at.Format("20060102"), g.seq)
	m.b = append(m.b, "MSH|^~\\&|"...)
	m.b = append(m.b, strings.Join([]string{
		g.pick([]string{"EPIC", "CERNER", "MEDITECH", "LABSYS"}), fac, "SAFEHARBOR", "DEID",
		at.Format(ts), "", msgType, ctrl, "P", "2.5.1", "", "", "AL", "NE", "USA", "UNICODE UTF-8",
	}, "|")...)
	m.b = append(m.b, '\r')
}

func xpn(family, given, middle string) string { return cmp(family, given, middle) }

func (g *Gen) pid(m *msgBuf, p *Patient) {
	f := fields(30)
	f[1] = "1"
	f[3] = cmp(p.MRN, "", "", "GENHOSP", "MR") + "~" + cmp(stripDashes(p.SSN), "", "", "SSA", "SS")
	f[5] = xpn(p.Family, p.Given, p.Middle)
	f[6] = cmp(g.pick(familyNames), "", "", "", "", "", "M") // mother's maiden name
	f[7] = p.BirthDate.Format("20060102")
	f[8] = p.Sex
	f[10] = cmp("2106-3", "White", "CDCREC")
	f[11] = cmp(p.Street, "", p.City, p.State, p.Zip, "USA", "H")
	f[13] = cmp(p.HomePhone, "PRN", "PH") + "~" + cmp(p.CellPhone, "PRN", "CP") + "~" + cmp("", "NET", "Internet", p.Email)
	f[15] = cmp("eng", "English", "ISO639")
	f[16] = g.pick([]string{"M", "S", "D", "W"})
	f[18] = cmp(p.AccountNumber, "", "", "GENHOSP", "AN")
	f[19] = p.SSN
	m.seg("PID", f[1:]...)
}

func (g *Gen) nk1(m *msgBuf, p *Patient) {
	f := fields(7)
	f[1] = "1"
	f[2] = xpn(p.KinFamily, p.KinGiven, "")
	f[3] = cmp(p.KinRelationship, relName(p.KinRelationship), "HL70063")
	f[4] = cmp(p.Street, "", p.City, p.State, p.Zip, "USA")
	f[5] = cmp(p.KinPhone, "PRN", "PH")
	f[7] = cmp("EC", "Emergency Contact", "HL70131")
	m.seg("NK1", f[1:]...)
}

func xcn(d provider) string { return cmp(d.npi, d.family, d.given, "", "", "Dr", "MD", "", "NPI") }

func (g *Gen) pv1(m *msgBuf, p *Patient, at time.Time, discharged bool) {
	f := fields(45)
	f[1] = "1"
	f[2] = g.pick([]string{"I", "O", "E"})
	f[3] = cmp(g.pick([]string{"4WEST", "ICU", "MEDSURG", "ED"}), strconv.Itoa(100+g.rng.IntN(300)), g.pick([]string{"A", "B"}), "GENHOSP")
	f[4] = g.pick([]string{"E", "U", "R", "EL"})
	f[7] = xcn(g.provider())
	f[8] = xcn(g.provider())
	f[10] = g.pick([]string{"MED", "SUR", "CAR", "PUL"})
	f[14] = "1"
	f[18] = g.pick([]string{"IN", "OUT", "EMR"})
	f[19] = cmp("V"+g.digits(9), "", "", "GENHOSP", "VN")
	f[20] = cmp(insurers[g.rng.IntN(len(insurers))].id, at.Format("20060102"))
	f[44] = at.Add(-time.Duration(1+g.rng.IntN(120)) * time.Hour).Format(ts)
	if discharged {
		f[36] = g.pick([]string{"01", "03", "06"})
		f[45] = at.Format(ts)
	}
	m.seg("PV1", f[1:]...)
}

func (g *Gen) dg1(m *msgBuf, at time.Time) {
	n := 1 + g.rng.IntN(3)
	for i := 1; i <= n; i++ {
		d := diagnoses[g.rng.IntN(len(diagnoses))]
		f := fields(6)
		f[1] = strconv.Itoa(i)
		f[2] = "I10"
		f[3] = cmp(d.code, d.text, "I10")
		f[5] = at.Format(ts)
		f[6] = g.pick([]string{"A", "W", "F"})
		m.seg("DG1", f[1:]...)
	}
}

func (g *Gen) gt1(m *msgBuf, p *Patient) {
	f := fields(16)
	f[1] = "1"
	f[2] = cmp(g.digits(8))
	f[3] = xpn(p.Family, p.Given, p.Middle)
	f[5] = cmp(p.Street, "", p.City, p.State, p.Zip, "USA")
	f[6] = cmp(p.HomePhone, "PRN", "PH")
	f[8] = p.BirthDate.Format("20060102")
	f[9] = p.Sex
	f[11] = cmp("SEL", "Self", "HL70063")
	f[12] = p.SSN
	f[16] = cmp(p.Employer)
	m.seg("GT1", f[1:]...)
}

func (g *Gen) in1(m *msgBuf, p *Patient) {
	ins := insurers[g.rng.IntN(len(insurers))]
	f := fields(36)
	f[1] = "1"
	f[2] = cmp(ins.id, ins.name)
	f[3] = ins.id
	f[4] = cmp(ins.name)
	f[5] = cmp("PO Box "+strconv.Itoa(1000+g.rng.IntN(9000)), "", "Hartford", "CT", "06101")
	f[8] = "GRP" + g.digits(6)
	f[16] = xpn(p.Family, p.Given, p.Middle)
	f[17] = cmp("SEL", "Self", "HL70063")
	f[18] = p.BirthDate.Format("20060102")
	f[19] = cmp(p.Street, "", p.City, p.State, p.Zip, "USA")
	f[36] = "POL" + g.digits(9)
	m.seg("IN1", f[1:]...)
}

func (g *Gen) oruBody(m *msgBuf, p *Patient, at time.Time) int {
	f := fields(4)
	f[1] = cmp(g.digits(10), "GENHOSP")
	f[2] = "F"
	f[3] = cmp("ORD" + g.digits(7))
	f[4] = at.Add(-2 * time.Hour).Format(ts)
	m.seg("ORC", "RE", f[1], f[3])
	np := 1 + g.rng.IntN(2)
	seq := 0
	for k := 1; k <= np; k++ {
		pn := panels[g.rng.IntN(len(panels))]
		ob := fields(25)
		ob[1] = strconv.Itoa(k)
		ob[2] = f[1]
		ob[3] = f[3]
		ob[4] = cmp(pn.loinc, pn.name, "LN")
		ob[7] = at.Add(-3 * time.Hour).Format(ts)
		ob[16] = xcn(g.provider())
		ob[22] = at.Format(ts)
		ob[25] = "F"
		m.seg("OBR", ob[1:]...)
		for _, a := range pn.tests {
			seq++
			// mostly in range, sometimes abnormal
			span := a.hi - a.lo
			v := a.lo + g.rng.Float64()*span
			flag := "N"
			if r := g.rng.IntN(10); r == 0 {
				v, flag = a.lo-span*0.2*g.rng.Float64()-span*0.01, "L"
			} else if r == 1 {
				v, flag = a.hi+span*0.3*g.rng.Float64()+span*0.01, "H"
			}
			x := fields(14)
			x[1] = strconv.Itoa(seq)
			x[2] = "NM"
			x[3] = cmp(a.loinc, a.name, "LN")
			x[5] = strconv.FormatFloat(v, 'f', a.decimals, 64)
			x[6] = cmp(a.unit, a.unit, "UCUM")
			x[7] = strconv.FormatFloat(a.lo, 'f', a.decimals, 64) + "-" + strconv.FormatFloat(a.hi, 'f', a.decimals, 64)
			x[8] = flag
			x[11] = "F"
			x[14] = at.Add(-3 * time.Hour).Format(ts)
			m.seg("OBX", x[1:]...)
		}
		// a narrative comment with PHI inside the text
		seq++
		x := fields(14)
		x[1] = strconv.Itoa(seq)
		x[2] = "TX"
		x[3] = cmp("48767-8", "Annotation comment", "LN")
		lines := make([]string, 1+g.rng.IntN(3))
		for i := range lines {
			lines[i] = esc(g.noteLine(p, at))
		}
		x[5] = strings.Join(lines, "~")
		x[11] = "F"
		x[14] = at.Format(ts)
		m.seg("OBX", x[1:]...)
		m.seg("NTE", "1", "L", esc(g.noteLine(p, at)))
	}
	return seq
}

func (g *Gen) ormBody(m *msgBuf, p *Patient, at time.Time) {
	o := orderables[g.rng.IntN(len(orderables))]
	doc := g.provider()
	placer := cmp("ORD"+g.digits(7), "GENHOSP")
	f := fields(12)
	f[1] = "NW"
	f[2] = placer
	f[5] = "SC"
	f[7] = cmp("", "", "", at.Add(time.Hour).Format(ts), "", g.pick([]string{"R", "S", "A"}))
	f[9] = at.Format(ts)
	f[12] = xcn(doc)
	m.seg("ORC", f[1:]...)
	ob := fields(31)
	ob[1] = "1"
	ob[2] = placer
	ob[4] = cmp(o.code, o.name, "LN")
	ob[6] = at.Format(ts)
	ob[13] = esc(g.noteLine(p, at))
	ob[16] = xcn(doc)
	ob[27] = cmp("", "", "", at.Add(time.Hour).Format(ts))
	d := diagnoses[g.rng.IntN(len(diagnoses))]
	ob[31] = cmp(d.code, d.text, "I10")
	m.seg("OBR", ob[1:]...)
	m.seg("DG1", "1", "I10", cmp(d.code, d.text, "I10"), "", at.Format(ts), "W")
	m.seg("NTE", "1", "P", esc(g.noteLine(p, at)))
}

func (g *Gen) mdmBody(m *msgBuf, p *Patient, at time.Time) int {
	dt := documentTypes[g.rng.IntN(len(documentTypes))]
	doc := g.provider()
	f := fields(17)
	f[1] = "1"
	f[2] = cmp(dt.code, dt.name, "HL70270")
	f[3] = "TX"
	f[4] = at.Add(-time.Hour).Format(ts)
	f[5] = xcn(doc)
	f[6] = at.Add(-time.Hour).Format(ts)
	f[9] = xcn(doc)
	f[12] = cmp("DOC"+g.digits(9), "GENHOSP")
	f[17] = "AU"
	m.seg("TXA", f[1:]...)
	n := 4 + g.rng.IntN(8)
	header := fmt.Sprintf("%s for %s %s, MRN %s, DOB %s.", dt.name, p.Given, p.Family, p.MRN, p.BirthDate.Format("01/02/2006"))
	for i := 1; i <= n; i++ {
		text := g.noteLine(p, at)
		if i == 1 && g.opts.PHIDensity > 0 {
			text = header
		}
		x := fields(14)
		x[1] = strconv.Itoa(i)
		x[2] = "TX"
		x[3] = cmp(dt.loinc, dt.name, "LN")
		x[4] = strconv.Itoa(i)
		x[5] = esc(text)
		x[11] = "F"
		x[14] = at.Format(ts)
		m.seg("OBX", x[1:]...)
	}
	return n
}

func (g *Gen) siuBody(m *msgBuf, p *Patient, at time.Time) {
	a := appointmentTypes[g.rng.IntN(len(appointmentTypes))]
	doc := g.provider()
	start := at.Add(time.Duration(24+g.rng.IntN(24*30)) * time.Hour).Truncate(15 * time.Minute)
	dur := 15 * (1 + g.rng.IntN(4))
	end := start.Add(time.Duration(dur) * time.Minute)
	f := fields(25)
	f[1] = cmp("APT"+g.digits(8), "GENHOSP")
	f[2] = cmp("APT"+g.digits(8), "SCHED")
	f[6] = cmp(a.code, a.name)
	f[7] = cmp(a.code, a.name, "LOCAL")
	f[8] = cmp("NORMAL", "Routine", "HL70276")
	f[9] = strconv.Itoa(dur)
	f[10] = "min"
	f[11] = cmp("", "", strconv.Itoa(dur), start.Format(ts), end.Format(ts))
	f[16] = xcn(doc)
	f[20] = xcn(doc)
	f[25] = cmp("Booked", "Booked", "HL70278")
	m.seg("SCH", f[1:]...)
	m.seg("NTE", "1", "", esc(g.noteLine(p, at)))
	g.pid(m, p)
	g.pv1(m, p, at, false)
	m.seg("RGS", "1", "A")
	m.seg("AIS", "1", "A", cmp(a.code, a.name, "LOCAL"), start.Format(ts), "", "", strconv.Itoa(dur), "min")
	m.seg("AIL", "1", "A", cmp("CLINIC"+strconv.Itoa(1+g.rng.IntN(9)), "", "", "GENHOSP"))
	m.seg("AIP", "1", "A", xcn(doc), cmp("ATT", "Attending"))
}
