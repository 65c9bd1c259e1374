package synth

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Options configures a generator. The zero value is usable.
type Options struct {
	// Patients is the size of the patient pool (default 200). Messages pick
	// patients from the pool, so identities recur across messages.
	Patients int
	// PHIDensity scales how often free-text notes mention identifiers
	// (names, MRN, phone, address, dates): 0 = never, 1 = typical (about
	// 4 lines in 10), 2.5 or more = every line. Structured fields always
	// carry the patient's identity.
	PHIDensity float64
	// TargetSize, when > 0, pads every HL7 message with OBX TX note lines
	// until it is at least this many bytes (to sweep sizes from 0.5 KB to 1 MB).
	TargetSize int
	// Weights gives the relative frequency of each HL7 kind used by HL7
	// (keys from Kinds). Nil means DefaultWeights.
	Weights map[string]int
	// Start is the clock of the first message (default 2024-03-01 08:00 UTC).
	// The clock advances by a few minutes per message.
	Start time.Time
}

// DefaultWeights is the default traffic mix of HL7 message kinds.
var DefaultWeights = map[string]int{
	"ADT^A01": 15, "ADT^A03": 8, "ADT^A08": 12, "ORU^R01": 35,
	"ORM^O01": 10, "MDM^T02": 10, "SIU^S12": 10,
}

// Kinds returns the HL7 message kinds the generator knows, in a fixed order.
func Kinds() []string {
	return []string{"ADT^A01", "ADT^A03", "ADT^A08", "ORU^R01", "ORM^O01", "MDM^T02", "SIU^S12"}
}

// Patient is one fictitious identity of the pool.
type Patient struct {
	MRN, SSN, AccountNumber string
	Family, Given, Middle   string
	Sex                     string // "F" or "M"
	BirthDate               time.Time
	Street, City, State     string
	Zip                     string
	HomePhone, CellPhone    string // "(555) 555-01xx" style
	Email                   string
	KinFamily, KinGiven     string // next of kin
	KinRelationship         string // HL7 table 0063 code (SPO, MTH, ...)
	KinPhone                string
	Employer                string
}

// PHIValues returns the identifying strings of p that de-identified output
// must not contain, in raw form (names, MRN, SSN with and without dashes,
// account number, phones, street address, email, birth date as YYYYMMDD and
// YYYY-MM-DD, next of kin's name and phone).
func (p Patient) PHIValues() []string {
	return []string{
		p.MRN, p.SSN, stripDashes(p.SSN), p.AccountNumber, p.Family, p.Given,
		p.HomePhone, p.CellPhone, p.Street, p.Email,
		p.BirthDate.Format("20060102"), p.BirthDate.Format("2006-01-02"),
		p.KinFamily, p.KinPhone,
	}
}

func stripDashes(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// Gen generates synthetic traffic. It is deterministic for a seed and not
// safe for concurrent use.
type Gen struct {
	rng      *rand.Rand
	opts     Options
	patients []Patient
	kinds    []string
	cum      []int // cumulative weights for kinds
	clock    time.Time
	seq      int
	last     int
}

// New returns a generator for seed.
func New(seed int64, opts Options) *Gen {
	if opts.Patients <= 0 {
		opts.Patients = 200
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	}
	w := opts.Weights
	if w == nil {
		w = DefaultWeights
	}
	g := &Gen{
		rng:   rand.New(rand.NewPCG(uint64(seed), 0x5afe4a4b0c)),
		opts:  opts,
		clock: opts.Start,
		last:  -1,
	}
	total := 0
	for _, k := range Kinds() {
		if w[k] > 0 {
			total += w[k]
			g.kinds = append(g.kinds, k)
			g.cum = append(g.cum, total)
		}
	}
	if total == 0 {
		g.kinds, g.cum = []string{"ORU^R01"}, []int{1}
	}
	g.patients = make([]Patient, opts.Patients)
	for i := range g.patients {
		g.patients[i] = g.newPatient(i)
	}
	return g
}

// NumPatients returns the size of the patient pool.
func (g *Gen) NumPatients() int { return len(g.patients) }

// Patient returns patient i of the pool (0 ≤ i < NumPatients).
func (g *Gen) Patient(i int) Patient { return g.patients[i] }

// LastPatient returns the pool index of the patient behind the last
// generated message or resource (-1 before the first).
func (g *Gen) LastPatient() int { return g.last }

func (g *Gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *Gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

func (g *Gen) newPatient(i int) Patient {
	p := Patient{Sex: "F"}
	if g.rng.IntN(2) == 0 {
		p.Sex = "M"
		p.Given = g.pick(givenMale)
	} else {
		p.Given = g.pick(givenFemale)
	}
	p.Family = g.pick(familyNames)
	p.Middle = g.pick(middleInitials)
	// MRN and account are unique per pool index, so they identify the patient
	p.MRN = fmt.Sprintf("MRN%07d", 1000000+i*37+g.rng.IntN(37))
	p.AccountNumber = fmt.Sprintf("AC%08d", 20000000+i*53+g.rng.IntN(53))
	p.SSN = fmt.Sprintf("9%02d-%02d-%04d", g.rng.IntN(100), 10+g.rng.IntN(90), 1000+g.rng.IntN(9000))
	p.BirthDate = time.Date(1930+g.rng.IntN(90), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	p.Street = fmt.Sprintf("%d %s", 10+g.rng.IntN(9900), g.pick(streets))
	c := cities[g.rng.IntN(len(cities))]
	p.City, p.State, p.Zip = c.name, c.state, c.zip3+g.digits(2)
	p.HomePhone = fmt.Sprintf("(%s) 555-01%02d", g.areaCode(), g.rng.IntN(100))
	p.CellPhone = fmt.Sprintf("(%s) 555-01%02d", g.areaCode(), g.rng.IntN(100))
	p.Email = fmt.Sprintf("%s.%s%d@example.com", lower(p.Given), lower(p.Family), g.rng.IntN(100))
	p.KinFamily = p.Family
	if g.rng.IntN(3) == 0 {
		p.KinFamily = g.pick(familyNames)
	}
	p.KinGiven = g.pick(append(append([]string{}, givenMale...), givenFemale...))
	p.KinRelationship = g.pick([]string{"SPO", "MTH", "FTH", "CHD", "SIB", "FND"})
	p.KinPhone = fmt.Sprintf("(%s) 555-01%02d", g.areaCode(), g.rng.IntN(100))
	p.Employer = g.pick(employers)
	return p
}

func (g *Gen) areaCode() string { return fmt.Sprintf("%d%02d", 2+g.rng.IntN(8), g.rng.IntN(100)) }

func lower(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z':
			b = append(b, c)
		}
	}
	return string(b)
}

// nextPatient picks a patient and records it as the last one.
func (g *Gen) nextPatient() (int, *Patient) {
	i := g.rng.IntN(len(g.patients))
	g.last = i
	return i, &g.patients[i]
}

// tick advances the clock and returns the new time.
func (g *Gen) tick() time.Time {
	g.seq++
	g.clock = g.clock.Add(time.Duration(1+g.rng.IntN(9))*time.Minute + time.Duration(g.rng.IntN(60))*time.Second)
	return g.clock
}

func (g *Gen) provider() provider { return providers[g.rng.IntN(len(providers))] }

// noteLine returns one line of clinical free text; with probability set by
// PHIDensity it mentions the patient's identifiers.
func (g *Gen) noteLine(p *Patient, at time.Time) string {
	prob := 0.4 * g.opts.PHIDensity
	if prob > 0 && g.rng.Float64() < prob {
		switch g.rng.IntN(7) {
		case 0:
			return fmt.Sprintf("Patient %s %s (MRN %s) seen on %s for follow-up.", p.Given, p.Family, p.MRN, at.Format("01/02/2006"))
		case 1:
			return fmt.Sprintf("Spoke with %s %s (%s) at %s regarding results.", relName(p.KinRelationship), p.KinGiven+" "+p.KinFamily, p.KinRelationship, p.KinPhone)
		case 2:
			return fmt.Sprintf("Mr./Ms. %s, DOB %s, lives at %s, %s, %s %s.", p.Family, p.BirthDate.Format("01/02/2006"), p.Street, p.City, p.State, p.Zip)
		case 3:
			return fmt.Sprintf("Call back number %s; alternate %s; email %s.", p.HomePhone, p.CellPhone, p.Email)
		case 4:
			return fmt.Sprintf("%s is a %d year old %s; employer: %s.", p.Given, age(p.BirthDate, at), sexWord(p.Sex), p.Employer)
		case 5:
			return fmt.Sprintf("Insurance verified, SSN %s on file, account %s.", p.SSN, p.AccountNumber)
		default:
			return fmt.Sprintf("Discharged home with family on %s; contact %s.", at.Format("January 2, 2006"), p.HomePhone)
		}
	}
	return clinicalLines[g.rng.IntN(len(clinicalLines))]
}

func relName(code string) string {
	switch code {
	case "SPO":
		return "spouse"
	case "MTH":
		return "mother"
	case "FTH":
		return "father"
	case "CHD":
		return "child"
	case "SIB":
		return "sibling"
	}
	return "friend"
}

func sexWord(s string) string {
	if s == "M" {
		return "male"
	}
	return "female"
}

func age(birth, at time.Time) int {
	a := at.Year() - birth.Year()
	if at.YearDay() < birth.YearDay() {
		a--
	}
	return a
}
