package eval

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Options configures an [Evaluator].
type Options struct {
	// ShowText includes the text of missed and falsely detected spans (and a
	// little context) in the report. Off by default: reports then hold
	// positions and shapes only, never PHI.
	ShowText bool
	// MaxListed caps the misses and false alarms listed one by one
	// (the per-shape summaries count them all). 0 means 2000.
	MaxListed int
}

// Evaluator accumulates the scores of notes. Use [NewEvaluator], then Add
// every note with its detected spans, then Report.
type Evaluator struct {
	opts    Options
	rep     Report
	cats    map[Category]*CatCounts
	missSh  map[[2]string]int
	falseSh map[[2]string]int
}

// NewEvaluator returns an empty evaluator.
func NewEvaluator(opts Options) *Evaluator {
	if opts.MaxListed == 0 {
		opts.MaxListed = 2000
	}
	return &Evaluator{opts: opts, cats: map[Category]*CatCounts{}, missSh: map[[2]string]int{}, falseSh: map[[2]string]int{}}
}

// CatCounts are the raw counts and scores of one category (or of a total).
// Recall counts come from gold mentions of the category; precision counts
// from detections whose tag maps to the category. Scores are nil when
// undefined (nothing to divide by).
type CatCounts struct {
	Category string `json:"category"`
	Core     bool   `json:"core"`

	GoldSpans    int      `json:"gold_spans"`
	CaughtSpans  int      `json:"caught_spans"`
	PartialSpans int      `json:"partial_spans"` // missed, but some letters or digits covered
	SpanRecall   *float64 `json:"span_recall"`
	GoldTokens   int      `json:"gold_tokens"`
	CaughtTokens int      `json:"caught_tokens"`
	TokenRecall  *float64 `json:"token_recall"`

	DetectedSpans  int      `json:"detected_spans"`
	CorrectSpans   int      `json:"correct_spans"`
	SpanPrecision  *float64 `json:"span_precision"`
	DetectedTokens int      `json:"detected_tokens"`
	CorrectTokens  int      `json:"correct_tokens"`
	TokenPrecision *float64 `json:"token_precision"`

	SpanF2  *float64 `json:"span_f2"`
	TokenF2 *float64 `json:"token_f2"`
}

// Miss is one gold mention not caught (or one false alarm), by position.
type Miss struct {
	Note     string `json:"note"`
	Category string `json:"category"`
	Label    string `json:"label"`
	Start    int    `json:"start"` // character offsets in the note text
	End      int    `json:"end"`
	Line     int    `json:"line"` // 1-based line and column (characters) in the note text
	Col      int    `json:"col"`
	Shape    string `json:"shape"`
	Partial  bool   `json:"partial,omitempty"`
	Text     string `json:"text,omitempty"`    // only with ShowText
	Context  string `json:"context,omitempty"` // only with ShowText
}

// ShapeCount is the number of misses (or false alarms) of one category with
// one shape.
type ShapeCount struct {
	Category string `json:"category"`
	Shape    string `json:"shape"`
	Count    int    `json:"count"`
}

// Report is the result of an evaluation. It contains no note text unless
// [Options.ShowText] was set.
type Report struct {
	Notes int `json:"notes"`
	Bytes int `json:"bytes"`
	// Core totals all core categories: recall over core gold mentions,
	// precision over all detections.
	Core       CatCounts   `json:"core"`
	Categories []CatCounts `json:"categories"`
	// NonPHITokens are the tokens overlapping no gold span (core or not);
	// NonPHIKept of them were left untouched by the detector.
	NonPHITokens    int      `json:"non_phi_tokens"`
	NonPHIKept      int      `json:"non_phi_kept"`
	NonPHIRetention *float64 `json:"non_phi_retention"`

	MissShapes        []ShapeCount   `json:"miss_shapes"`
	FalseAlarmShapes  []ShapeCount   `json:"false_alarm_shapes"`
	Misses            []Miss         `json:"misses"`
	FalseAlarms       []Miss         `json:"false_alarms"`
	MissesOmitted     int            `json:"misses_omitted,omitempty"`
	FalseAlarmsOmited int            `json:"false_alarms_omitted,omitempty"`
	UnknownLabels     map[string]int `json:"unknown_labels,omitempty"`
	ShowText          bool           `json:"show_text"`
}

func (e *Evaluator) cat(c Category) *CatCounts {
	cc := e.cats[c]
	if cc == nil {
		cc = &CatCounts{Category: string(c), Core: c.IsCore()}
		e.cats[c] = cc
	}
	return cc
}

func isAlnumAt(s string, i int) (bool, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z', 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r), n
}

// tokens returns the maximal runs of letters and digits of s.
func tokens(s string) [][2]int {
	var out [][2]int
	st := -1
	for i := 0; i < len(s); {
		ok, n := isAlnumAt(s, i)
		if ok && st < 0 {
			st = i
		} else if !ok && st >= 0 {
			out = append(out, [2]int{st, i})
			st = -1
		}
		i += n
	}
	if st >= 0 {
		out = append(out, [2]int{st, len(s)})
	}
	return out
}

// Add scores one note against the spans a detector found in it (byte
// offsets into n.Text; out-of-range parts are clipped).
func (e *Evaluator) Add(n Note, det []Span) {
	t := n.Text
	e.rep.Notes++
	e.rep.Bytes += len(t)
	L := len(t)
	detAt := make([]int32, L) // index+1 of the detection covering each byte
	for k, d := range det {
		s, en := max(0, d.Start), min(L, d.End)
		for i := s; i < en; i++ {
			if detAt[i] == 0 {
				detAt[i] = int32(k + 1)
			}
		}
	}
	gold := make([]bool, L)
	for _, m := range n.Gold {
		for _, p := range m.Parts {
			for i := max(0, p.Start); i < min(L, p.End); i++ {
				gold[i] = true
			}
		}
	}
	toks := tokens(t)
	core := &e.rep.Core

	// recall: gold mentions
	for _, m := range n.Gold {
		cc := e.cat(m.Cat)
		isCore := m.Cat.IsCore()
		alnum, covered := 0, 0
		for _, p := range m.Parts {
			for i := max(0, p.Start); i < min(L, p.End); {
				ok, w := isAlnumAt(t, i)
				if ok {
					alnum++
					if detAt[i] != 0 {
						covered++
					}
				}
				i += w
			}
		}
		caught := covered == alnum
		cc.GoldSpans++
		if isCore {
			core.GoldSpans++
		}
		if caught {
			cc.CaughtSpans++
			if isCore {
				core.CaughtSpans++
			}
		} else {
			partial := covered > 0
			if partial {
				cc.PartialSpans++
				if isCore {
					core.PartialSpans++
				}
			}
			e.miss(n, m, partial)
		}
		// tokens of the mention
		for _, tk := range toks {
			in, allCov := false, true
			for _, p := range m.Parts {
				s, en := max(tk[0], p.Start), min(tk[1], p.End)
				for i := s; i < en; i++ {
					in = true
					if detAt[i] == 0 {
						allCov = false
					}
				}
			}
			if !in {
				continue
			}
			cc.GoldTokens++
			if isCore {
				core.GoldTokens++
			}
			if allCov {
				cc.CaughtTokens++
				if isCore {
					core.CaughtTokens++
				}
			}
		}
	}

	// precision: detections
	for _, d := range det {
		s, en := max(0, d.Start), min(L, d.End)
		if s >= en {
			continue
		}
		cc := e.cat(tagCat(d.Label))
		ok := false
		for i := s; i < en; i++ {
			if gold[i] {
				ok = true
				break
			}
		}
		cc.DetectedSpans++
		core.DetectedSpans++
		if ok {
			cc.CorrectSpans++
			core.CorrectSpans++
		} else {
			e.falseAlarm(n, d)
		}
	}
	// tokens: detected ones and non-PHI ones
	for _, tk := range toks {
		inGold, first := false, int32(0)
		for i := tk[0]; i < tk[1]; i++ {
			if gold[i] {
				inGold = true
			}
			if first == 0 && detAt[i] != 0 {
				first = detAt[i]
			}
		}
		if first != 0 {
			cc := e.cat(tagCat(det[first-1].Label))
			cc.DetectedTokens++
			core.DetectedTokens++
			if inGold {
				cc.CorrectTokens++
				core.CorrectTokens++
			}
		}
		if !inGold {
			e.rep.NonPHITokens++
			if first == 0 {
				e.rep.NonPHIKept++
			}
		}
	}
}

func tagCat(label string) Category {
	if c, ok := tagCategory[label]; ok {
		return c
	}
	if c, ok := lookupLabel("", strings.Trim(label, "[]")); ok {
		return c
	}
	return CatOther
}

func lineCol(t string, b int) (int, int) {
	line := 1 + strings.Count(t[:b], "\n")
	ls := strings.LastIndexByte(t[:b], '\n') + 1
	return line, 1 + utf8.RuneCountInString(t[ls:b])
}

func (e *Evaluator) record(n Note, cat, label string, s, en int, partial bool) Miss {
	line, col := lineCol(n.Text, s)
	ms := Miss{Note: n.ID, Category: cat, Label: label, Start: charOff(n.Text, s), End: charOff(n.Text, en),
		Line: line, Col: col, Shape: Shape(n.Text[s:en]), Partial: partial}
	if e.opts.ShowText {
		ms.Text = n.Text[s:en]
		cs, ce := s-40, en+40
		for cs > 0 && !utf8.RuneStart(n.Text[max(cs, 0)]) {
			cs--
		}
		for ce < len(n.Text) && !utf8.RuneStart(n.Text[ce]) {
			ce++
		}
		ms.Context = n.Text[max(cs, 0):min(ce, len(n.Text))]
	}
	return ms
}

func (e *Evaluator) miss(n Note, m Mention, partial bool) {
	s, en := m.Parts[0].Start, m.Parts[len(m.Parts)-1].End
	if en < s {
		en = s
	}
	ms := e.record(n, string(m.Cat), m.Label, s, en, partial)
	e.missSh[[2]string{ms.Category, ms.Shape}]++
	if len(e.rep.Misses) < e.opts.MaxListed {
		e.rep.Misses = append(e.rep.Misses, ms)
	} else {
		e.rep.MissesOmitted++
	}
}

func (e *Evaluator) falseAlarm(n Note, d Span) {
	ms := e.record(n, string(tagCat(d.Label)), d.Label, max(0, d.Start), min(len(n.Text), d.End), false)
	e.falseSh[[2]string{ms.Category, ms.Shape}]++
	if len(e.rep.FalseAlarms) < e.opts.MaxListed {
		e.rep.FalseAlarms = append(e.rep.FalseAlarms, ms)
	} else {
		e.rep.FalseAlarmsOmited++
	}
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

// F2 returns the F-beta score with beta = 2 (recall weighs four times
// precision): 5PR / (4P + R), 0 when both are 0.
func F2(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 5 * p * r / (4*p + r)
}

func (c *CatCounts) finish() {
	c.SpanRecall = ratio(c.CaughtSpans, c.GoldSpans)
	c.TokenRecall = ratio(c.CaughtTokens, c.GoldTokens)
	c.SpanPrecision = ratio(c.CorrectSpans, c.DetectedSpans)
	c.TokenPrecision = ratio(c.CorrectTokens, c.DetectedTokens)
	if c.SpanRecall != nil && c.SpanPrecision != nil {
		v := F2(*c.SpanPrecision, *c.SpanRecall)
		c.SpanF2 = &v
	}
	if c.TokenRecall != nil && c.TokenPrecision != nil {
		v := F2(*c.TokenPrecision, *c.TokenRecall)
		c.TokenF2 = &v
	}
}

func sortedShapes(m map[[2]string]int) []ShapeCount {
	out := make([]ShapeCount, 0, len(m))
	for k, v := range m {
		out = append(out, ShapeCount{Category: k[0], Shape: k[1], Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].Shape < out[j].Shape
	})
	return out
}

// Report returns the scores so far. Categories are listed core first, in a
// fixed order, then non-core; categories never seen are left out.
func (e *Evaluator) Report() *Report {
	r := e.rep
	r.Core.Category, r.Core.Core = "core", true
	r.Core.finish()
	r.Categories = nil
	for _, c := range append(append([]Category(nil), coreCats...), nonCoreCats...) {
		if cc := e.cats[c]; cc != nil {
			cc.finish()
			r.Categories = append(r.Categories, *cc)
		}
	}
	r.NonPHIRetention = ratio(r.NonPHIKept, r.NonPHITokens)
	r.MissShapes = sortedShapes(e.missSh)
	r.FalseAlarmShapes = sortedShapes(e.falseSh)
	r.ShowText = e.opts.ShowText
	if r.Misses == nil {
		r.Misses = []Miss{}
	}
	if r.FalseAlarms == nil {
		r.FalseAlarms = []Miss{}
	}
	return &r
}

// Category returns the counts of category c in the report, or nil.
func (r *Report) Category(c Category) *CatCounts {
	for i := range r.Categories {
		if r.Categories[i].Category == string(c) {
			return &r.Categories[i]
		}
	}
	return nil
}
