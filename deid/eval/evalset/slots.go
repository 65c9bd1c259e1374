package evalset

import (
	"fmt"
	"strings"
)

var months = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var monAbbr = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func ordinal(d int) string {
	suf := "th"
	if d%100 < 11 || d%100 > 13 {
		switch d % 10 {
		case 1:
			suf = "st"
		case 2:
			suf = "nd"
		case 3:
			suf = "rd"
		}
	}
	return fmt.Sprintf("%d%s", d, suf)
}

var ones = []string{"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

func (g *gen) md() string {
	m, d := 1+g.r.IntN(12), 1+g.r.IntN(28)
	if g.chance(0.25) {
		return fmt.Sprintf("%02d/%02d", m, d)
	}
	return fmt.Sprintf("%d/%d", m, d)
}

func (g *gen) fullDate() string {
	m, d, y := 1+g.r.IntN(12), 1+g.r.IntN(28), 1930+g.r.IntN(96)
	switch g.r.IntN(14) {
	case 0:
		return fmt.Sprintf("%02d/%02d/%d", m, d, y)
	case 1:
		return fmt.Sprintf("%d/%d/%02d", m, d, y%100)
	case 2:
		return fmt.Sprintf("%d-%02d-%02d", y, m, d)
	case 3:
		return fmt.Sprintf("%s %d, %d", months[m-1], d, y)
	case 4:
		return fmt.Sprintf("%d %s %d", d, months[m-1], y)
	case 5:
		return fmt.Sprintf("%s %d %d", monAbbr[m-1], d, y)
	case 6:
		return fmt.Sprintf("%02d-%s-%d", d, monAbbr[m-1], y)
	case 7:
		return fmt.Sprintf("%02d%s%d", d, strings.ToUpper(monAbbr[m-1]), y)
	case 8:
		return fmt.Sprintf("%d.%d.%d", m, d, y)
	case 9:
		return fmt.Sprintf("%s %d", strings.ToLower(monAbbr[m-1]), d)
	case 10:
		return fmt.Sprintf("%s. %s", monAbbr[m-1], ordinal(d))
	case 11:
		return fmt.Sprintf("the %s of %s", ordinal(d), months[m-1])
	case 12:
		return fmt.Sprintf("%s %s", strings.ToLower(months[m-1]), ordinal(d))
	}
	return fmt.Sprintf("%02d/%02d/%04d", m, d, y)
}

func (g *gen) phone() string {
	a, e, n := 201+g.r.IntN(780), 200+g.r.IntN(800), g.r.IntN(10000)
	var s string
	switch g.r.IntN(12) {
	case 0:
		s = fmt.Sprintf("(%d) %d-%04d", a, e, n)
	case 1:
		s = fmt.Sprintf("%d-%d-%04d", a, e, n)
	case 2:
		s = fmt.Sprintf("%d.%d.%04d", a, e, n)
	case 3:
		s = fmt.Sprintf("%d/%d-%04d", a, e, n)
	case 4:
		s = fmt.Sprintf("%d- %d- %04d", a, e, n)
	case 5:
		s = fmt.Sprintf("%d %d %04d", a, e, n)
	case 6:
		s = fmt.Sprintf("%d%d%04d", a, e, n)
	case 7:
		s = fmt.Sprintf("+1 %d %d %04d", a, e, n)
	case 8:
		s = fmt.Sprintf("1-800-%d-%04d", e, n)
	case 9:
		s = fmt.Sprintf("%d-%04d", e, n)
	case 10:
		s = fmt.Sprintf("(%d)%d-%04d", a, e, n)
	default:
		s = fmt.Sprintf("%d-%d-%04d", a, e, n)
	}
	if g.chance(0.2) {
		s += g.pick([]string{" x", " ext. ", " ext ", "x", " X"}) + fmt.Sprint(1+g.r.IntN(9999))
	}
	return s
}

func (g *gen) age90() string {
	a := 90 + g.r.IntN(16)
	if g.chance(0.15) {
		w := "ninety"
		if a >= 100 {
			w = "one hundred"
			if a > 100 {
				w += " and " + ones[a-100]
			}
		} else if a > 90 {
			w += g.pick([]string{"-", " "}) + ones[a-90]
		}
		return w
	}
	return fmt.Sprint(a)
}

func (g *gen) name(p person) string {
	switch g.r.IntN(10) {
	case 0, 1, 2, 3:
		return p.first + " " + p.last
	case 4:
		return p.first + " " + string(g.pick(origins[0].male)[0]) + ". " + p.last
	case 5, 6:
		return p.last + ", " + p.first
	case 7:
		return strings.ToUpper(p.first + " " + p.last)
	case 8:
		return strings.ToLower(p.first + " " + p.last)
	}
	return strings.ToUpper(p.last) + ", " + strings.ToUpper(p.first)
}

// title writes a title and the patient's surname: "mr smith", "MS SMITH", "mr.smith", "Mrs. Smith".
func (g *gen) title(p person) {
	t := "Mr"
	if p.female {
		t = g.pick([]string{"Mrs", "Ms", "Miss"})
	}
	last := p.last
	switch g.r.IntN(5) {
	case 0:
		g.lit(strings.ToLower(t) + " ")
		last = strings.ToLower(last)
	case 1:
		g.lit(strings.ToUpper(t) + " ")
		last = strings.ToUpper(last)
	case 2:
		g.lit(strings.ToLower(t) + ".")
		last = strings.ToLower(last)
	case 3:
		g.lit(t + ". ")
	default:
		g.lit(t + " ")
	}
	g.phi("NAME", last)
}

var kinWords = []string{"son", "daughter", "wife", "husband", "sister", "brother", "mother", "father", "niece",
	"nephew", "granddaughter", "grandson", "partner", "fiance", "aunt", "uncle", "cousin", "friend", "HCP", "dtr", "stepson"}

var kinFemale = map[string]bool{"daughter": true, "wife": true, "sister": true, "mother": true, "niece": true,
	"granddaughter": true, "aunt": true, "dtr": true}

func (g *gen) kin() {
	k := g.pick(kinWords)
	p := g.person()
	p.female = kinFemale[k]
	first := g.given(p.female)
	switch g.r.IntN(8) {
	case 0:
		g.lit(strings.ToLower(k) + " ")
		g.phi("NAME", strings.ToLower(first))
	case 1:
		g.lit(strings.ToUpper(k) + " ")
		g.phi("NAME", strings.ToUpper(first))
	case 2:
		g.lit(k + ", ")
		g.phi("NAME", first)
		g.lit(",")
	case 3:
		g.lit(strings.ToUpper(k) + ",")
		g.phi("NAME", strings.ToUpper(first))
	case 4:
		g.lit(g.pick([]string{"his ", "her ", "pt's "}) + k + " ")
		g.phi("NAME", first+" "+p.last)
	case 5:
		g.lit(strings.Title(k) + " (")
		g.phi("NAME", first)
		g.lit(")")
	case 6:
		g.lit(k + " ")
		g.phi("NAME", first)
	default:
		g.lit(k + ", ")
		g.phi("NAME", first+" "+p.last)
		g.lit(",")
	}
}

func (g *gen) kinList() {
	pl := g.pick([]string{"sons", "daughters", "children", "grandchildren", "SONS", "brothers"})
	g.lit(pl + g.pick([]string{" ", ": ", " "}))
	k := 2 + g.r.IntN(3)
	for i := 0; i < k; i++ {
		if i > 0 {
			if i == k-1 {
				g.lit(g.pick([]string{" and ", ", and ", " & "}))
			} else {
				g.lit(", ")
			}
		}
		n := g.given(g.chance(0.5))
		if pl == "SONS" {
			n = strings.ToUpper(n)
		}
		g.phi("NAME", n)
	}
}

func (g *gen) doctor() {
	d := g.doc[g.r.IntN(len(g.doc))]
	switch g.r.IntN(7) {
	case 0:
		g.lit("Dr. ")
		g.phi("DOCTOR", d)
	case 1:
		g.lit("Dr ")
		g.phi("DOCTOR", d)
	case 2:
		g.lit("dr ")
		g.phi("DOCTOR", strings.ToLower(d))
	case 3:
		g.phi("DOCTOR", g.given(g.chance(0.5))+" "+d)
		g.lit(g.pick([]string{", MD", ", NP", ", PA-C", " MD"}))
	case 4:
		g.lit("Dr.")
		g.phi("DOCTOR", d)
	default:
		g.lit("Dr. ")
		g.phi("DOCTOR", g.given(g.chance(0.5))+" "+d)
	}
}

func (g *gen) address() {
	num := fmt.Sprint(1 + g.r.IntN(9999))
	if g.chance(0.2) {
		num = fmt.Sprint(1 + g.r.IntN(99))
	}
	g.phi("STREET", num+" "+g.pick(streetNames)+" "+g.pick(streetSuffixes))
	sep := g.pick([]string{"\n", ", ", "\n"})
	if g.chance(0.4) {
		g.lit(sep)
		g.phi("STREET", g.pick([]string{"Apt ", "Apt. ", "Unit ", "#", "Suite "})+fmt.Sprint(1+g.r.IntN(40))+g.pick([]string{"", "B", "A", "F"}))
	}
	g.lit(sep)
	g.phi("CITY", g.townName())
	g.lit(", ")
	g.phi("STATE", g.pick(states[:15]))
	g.lit(" ")
	zip := fmt.Sprintf("%05d", 1001+g.r.IntN(98000))
	if g.chance(0.2) {
		zip += fmt.Sprintf("-%04d", g.r.IntN(10000))
	}
	g.phi("ZIP", zip)
}

func (g *gen) hl7Name() {
	p := g.pt
	f, l := strings.ToUpper(p.first), strings.ToUpper(p.last)
	switch g.r.IntN(4) {
	case 0:
		g.lit("\\H\\")
		g.phi("NAME", f)
		g.lit("\\N\\ ")
		g.phi("NAME", l)
	case 1:
		g.phi("NAME", p.first)
		g.lit("\\.br\\")
		g.phi("NAME", p.last)
	case 2:
		g.phi("NAME", f)
		g.lit(" \\H\\")
		g.phi("NAME", l)
		g.lit("\\N\\")
	default:
		g.phi("NAME", l)
		g.lit("\\S\\")
		g.phi("NAME", f)
	}
}

func digits(g *gen, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

var events = []string{"s/p dialysis", "extubated", "intubated", "admitted", "discharged", "last HD", "CT head",
	"MRI", "echo", "cath", "started", "stopped", "d/c'd", "restarted", "last BM", "LMP", "fell", "transfused",
	"seen in clinic", "EGD", "colonoscopy", "bx", "PICC placed", "cx positive", "ablation", "s/p CABG"}

var professions = []string{"teacher", "truck driver", "nurse", "electrician", "accountant", "farmer", "lawyer", "chef", "carpenter", "retired machinist"}
var countries = []string{"Haiti", "Vietnam", "Mexico", "Nigeria", "Poland", "India", "El Salvador", "Somalia", "China", "Guatemala"}

// slots are the {name}s templates may use.
var slots map[string]func(g *gen)

func init() {
	slots = map[string]func(g *gen){
		"pt":      func(g *gen) { g.phi("NAME", g.name(g.pt)) },
		"ptF":     func(g *gen) { g.phi("NAME", g.pt.first) },
		"ptL":     func(g *gen) { g.phi("NAME", g.pt.last) },
		"title":   func(g *gen) { g.title(g.pt) },
		"kin":     func(g *gen) { g.kin() },
		"kinlist": func(g *gen) { g.kinList() },
		"dr":      func(g *gen) { g.doctor() },
		"staff":   func(g *gen) { g.phi("DOCTOR", g.given(g.chance(0.7))) },
		"other":   func(g *gen) { p := g.person(); g.phi("NAME", g.name(p)) },
		"hl7name": func(g *gen) { g.hl7Name() },
		"date":    func(g *gen) { g.phi("DATE", g.fullDate()) },
		"md":      func(g *gen) { g.phi("DATE", g.md()) },
		"event":   func(g *gen) { g.lit(g.pick(events) + " "); g.phi("DATE", g.md()) },
		"pmd": func(g *gen) {
			g.lit("(")
			g.phi("DATE", g.md())
			g.lit(")")
		},
		"my":     func(g *gen) { g.phi("DATE", fmt.Sprintf("%02d/%02d", 1+g.r.IntN(12), g.r.IntN(25))) },
		"apyear": func(g *gen) { g.phi("DATE", fmt.Sprintf("'%02d", 70+g.r.IntN(30))) },
		"year":   func(g *gen) { g.phi("DATE", fmt.Sprint(1960+g.r.IntN(65))) },
		"dob":    func(g *gen) { g.phi("DATE", g.fullDate()) },
		"phone":  func(g *gen) { g.phi("PHONE", g.phone()) },
		"pager": func(g *gen) {
			g.lit(g.pick([]string{"pager #", "PG ", "pgr ", "beeper ", "pager ", "p# ", "Pager: "}))
			g.phi("PHONE", digits(g, 5))
		},
		"fax":    func(g *gen) { g.phi("FAX", g.phone()) },
		"age90":  func(g *gen) { g.phi("AGE", g.age90()) },
		"age":    func(g *gen) { g.phi("AGE", fmt.Sprint(18+g.r.IntN(72))) },
		"hosp":   func(g *gen) { g.phi("HOSPITAL", g.hosp) },
		"hosp2":  func(g *gen) { g.phi("HOSPITAL", g.hospital()) },
		"town":   func(g *gen) { g.phi("CITY", g.town) },
		"addr":   func(g *gen) { g.address() },
		"state":  func(g *gen) { g.phi("STATE", g.pick(states)) },
		"county": func(g *gen) { g.phi("LOCATION", g.zipf(origins[0].surnames)+" County") },
		"mrn": func(g *gen) {
			g.lit(g.pick([]string{"MRN: ", "MRN ", "MR# ", "Med Rec #: ", "Unit No: ", "mrn "}))
			g.phi("MRN", g.pick([]string{digits(g, 7), digits(g, 8), "A" + digits(g, 6), digits(g, 3) + "-" + digits(g, 2) + "-" + digits(g, 2)}))
		},
		"accession": func(g *gen) { g.phi("IDNUM", digits(g, 8)) },
		"acct": func(g *gen) {
			g.lit(g.pick([]string{"Acct # ", "Account: ", "acct "}))
			g.phi("ACCOUNT", digits(g, 9))
		},
		"ssn": func(g *gen) {
			g.lit(g.pick([]string{"SSN ", "SSN: ", "ss# ", "social security number "}))
			s := fmt.Sprintf("%03d-%02d-%04d", 100+g.r.IntN(660), 1+g.r.IntN(98), 1+g.r.IntN(9998))
			if g.chance(0.3) {
				s = strings.ReplaceAll(s, "-", " ")
			}
			g.phi("SSN", s)
		},
		"hp": func(g *gen) {
			g.lit(g.pick([]string{"Member ID: ", "Medicaid # ", "policy no. ", "Insurance ID "}))
			g.phi("HEALTHPLAN", g.pick([]string{"XGH", "MCD", "W", "ZQ"})+digits(g, 9))
		},
		"email": func(g *gen) {
			f, l := strings.ToLower(g.pt.first), strings.ToLower(g.pt.last)
			f = strings.Map(asciiOnly, f)
			l = strings.Map(asciiOnly, l)
			g.phi("EMAIL", g.pick([]string{f + "." + l, string(f[0]) + l + digits(g, 2), l + f})+"@"+g.pick([]string{"gmail.com", "yahoo.com", "aol.com", "comcast.net", "hotmail.com"}))
		},
		"url": func(g *gen) {
			l := strings.Map(asciiOnly, strings.ToLower(g.pt.last))
			g.phi("URL", g.pick([]string{"www." + l + "family.org", "https://www.caringbridge.org/visit/" + l, "http://" + l + "-photos.com/album"}))
		},
		"ip": func(g *gen) {
			g.phi("IP", fmt.Sprintf("%d.%d.%d.%d", 10+g.r.IntN(200), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254)))
		},
		"device": func(g *gen) {
			g.phi("DEVICE", g.pick([]string{"PJN", "RNB", "SN", "BLF"})+digits(g, 6)+g.pick([]string{"", "H", "S"}))
		},
		"license": func(g *gen) {
			g.lit(g.pick([]string{"DL# ", "driver's license ", "plate "}))
			g.phi("LICENSE", string(rune('A'+g.r.IntN(26)))+digits(g, 3)+"-"+digits(g, 4))
		},
		"prof":    func(g *gen) { g.phi("PROFESSION", g.pick(professions)) },
		"country": func(g *gen) { g.phi("COUNTRY", g.pick(countries)) },
		"he":      func(g *gen) { g.lit(map[bool]string{true: "she", false: "he"}[g.pt.female]) },
		"his":     func(g *gen) { g.lit(map[bool]string{true: "her", false: "his"}[g.pt.female]) },
		"sex": func(g *gen) {
			g.lit(map[bool]string{true: g.pick([]string{"F", "female", "woman"}), false: g.pick([]string{"M", "male", "man"})}[g.pt.female])
		},
		"time": func(g *gen) {
			g.lit(fmt.Sprintf(g.pick([]string{"%02d:%02d", "%02d%02d", "%d:%02d"}), g.r.IntN(24), g.r.IntN(60)))
		},
		"n":      func(g *gen) { g.lit(fmt.Sprint(1 + g.r.IntN(9))) },
		"trap":   func(g *gen) { g.expand(g.pick(traps)) },
		"filler": func(g *gen) { g.expand(g.pick(filler)) },
	}
}

func asciiOnly(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}
