// Package evalset generates the annotated evaluation set of the free-text
// de-identifier: clinical notes in several styles with gold PHI spans.
//
// Its one job: from a fixed seed, build notes (discharge summaries, nursing
// notes, radiology reports, lab comments, HL7 NTE messages, telephone
// encounters) whose PHI is inserted by the generator and annotated as it is
// inserted, so every gold span is exactly what was inserted. Templates,
// slots and vocabulary are data tables (templates.go, names.go). Two
// splits use different seeds and so different name, place and template
// draws: [Dev] for development and [Heldout], which tests only measure.
package evalset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/safeharbor/safeharbor/deid/eval"
)

// Split names a generated split.
type Split string

// The splits.
const (
	Dev     Split = "dev"
	Heldout Split = "heldout"
)

// DefaultNotes is the number of notes per split used by tests and the CLI.
const DefaultNotes = 1000

var seeds = map[Split][2]uint64{Dev: {0x5afe, 0x0de7}, Heldout: {0x4e1d, 0xbac4}}

// Generate returns n notes of the split, the same on every call.
func Generate(split Split, n int) ([]eval.Note, error) {
	notes, _, err := generate(split, n)
	return notes, err
}

// generate also returns, per note, the values inserted for each gold
// mention (for tests).
func generate(split Split, n int) ([]eval.Note, [][]string, error) {
	s, ok := seeds[split]
	if !ok {
		return nil, nil, fmt.Errorf("unknown split %q (want dev or heldout)", split)
	}
	r := rand.New(rand.NewPCG(s[0], s[1]))
	notes := make([]eval.Note, 0, n)
	vals := make([][]string, 0, n)
	for i := 0; i < n; i++ {
		g := newGen(r)
		st := styles[i%len(styles)]
		st.build(g)
		notes = append(notes, eval.Note{ID: fmt.Sprintf("%s-%04d-%s", split, i+1, st.name), Text: g.b.String(), Gold: g.gold})
		vals = append(vals, g.vals)
	}
	return notes, vals, nil
}

type person struct {
	first, last string
	female      bool
}

type gen struct {
	r      *rand.Rand
	b      strings.Builder
	gold   []eval.Mention
	vals   []string
	casing int // 0 as written, 1 upper, 2 lower
	pt     person
	doc    []string // clinician surnames
	town   string
	hosp   string
}

func newGen(r *rand.Rand) *gen {
	g := &gen{r: r}
	g.pt = g.person()
	g.town = g.townName()
	g.hosp = g.hospital()
	for i := 0; i < 3; i++ {
		g.doc = append(g.doc, g.surname())
	}
	return g
}

func (g *gen) cased(s string) string {
	switch g.casing {
	case 1:
		return strings.ToUpper(s)
	case 2:
		return strings.ToLower(s)
	}
	return s
}

func (g *gen) lit(s string) { g.b.WriteString(g.cased(s)) }

// phi writes s and records it as a gold mention with label.
func (g *gen) phi(label, s string) {
	s = g.cased(s)
	st := g.b.Len()
	g.b.WriteString(s)
	cat, _ := eval.LabelCategory(label, s)
	g.gold = append(g.gold, eval.Mention{Parts: []eval.Span{{Start: st, End: g.b.Len(), Label: label}}, Label: label, Cat: cat})
	g.vals = append(g.vals, s)
}

func (g *gen) pick(l []string) string { return l[g.r.IntN(len(l))] }

// zipf picks from a list ordered by frequency: early entries much more often.
func (g *gen) zipf(l []string) string {
	return l[int(float64(len(l))*math.Pow(g.r.Float64(), 2.2))]
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) origin() *origin {
	tot := 0
	for i := range origins {
		tot += origins[i].weight
	}
	k := g.r.IntN(tot)
	for i := range origins {
		if k < origins[i].weight {
			return &origins[i]
		}
		k -= origins[i].weight
	}
	return &origins[0]
}

func (g *gen) given(female bool) string {
	if g.chance(0.06) { // composed rare given name
		return g.pick(sylStart[:30]) + g.pick(sylMid) + g.pick(sylGivenEnd)
	}
	o := g.origin()
	if female {
		return g.zipf(o.female)
	}
	return g.zipf(o.male)
}

func (g *gen) surname() string {
	var s string
	if g.chance(0.1) { // composed rare surname
		s = g.pick(sylStart) + g.pick(sylMid) + g.pick(sylEnd)
	} else {
		s = g.zipf(g.origin().surnames)
	}
	if g.chance(0.05) {
		s += "-" + g.zipf(g.origin().surnames)
	}
	return s
}

func (g *gen) person() person {
	f := g.chance(0.5)
	return person{first: g.given(f), last: g.surname(), female: f}
}

func (g *gen) townName() string {
	if g.chance(0.2) {
		base := g.zipf(origins[0].surnames)
		if g.chance(0.5) {
			return g.pick(townPrefixes) + base
		}
		return base + g.pick(townSuffixes)
	}
	return g.pick(towns)
}

func (g *gen) hospital() string {
	p := g.pick(hospitalPatterns)
	p = strings.ReplaceAll(p, "{saint}", g.pick(saints))
	p = strings.ReplaceAll(p, "{town}", g.townName())
	p = strings.ReplaceAll(p, "{surname}", g.zipf(origins[0].surnames))
	if strings.Contains(p, "{abbr}") {
		ab := []string{"GH", "MGH", "BMC", "NWH", "SEMC", "UMMC", "CGH", "WRH", "BIDMC", "LGH", "NEBH", "SVMC"}
		p = strings.ReplaceAll(p, "{abbr}", g.pick(ab))
	}
	return p
}

// expand writes a template: literal text with {slot} (see slots) and
// {=a|b|c} (one of the alternatives, literal).
func (g *gen) expand(t string) {
	for t != "" {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			g.lit(t)
			return
		}
		g.lit(t[:i])
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			panic("evalset: unterminated slot in template " + t)
		}
		name := t[i+1 : i+j]
		t = t[i+j+1:]
		if alts, ok := strings.CutPrefix(name, "="); ok {
			g.expand(g.pick(strings.Split(alts, "|")))
			continue
		}
		f, ok := slots[name]
		if !ok {
			panic("evalset: unknown slot {" + name + "}")
		}
		f(g)
	}
}

// line expands one of the templates followed by a line break.
func (g *gen) line(ts []string) {
	g.expand(g.pick(ts))
	g.lit("\n")
}

// some expands between lo and hi distinct-draw templates of ts.
func (g *gen) some(ts []string, lo, hi int, sep string) {
	k := lo + g.r.IntN(hi-lo+1)
	for i := 0; i < k; i++ {
		g.expand(g.pick(ts))
		g.lit(sep)
	}
}
