package eval

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

func pct(v *float64) string {
	if v == nil {
		return "     -"
	}
	return fmt.Sprintf("%6.3f", *v)
}

// WriteText writes the report as a table: per category gold and caught
// mentions, span and token recall, precision and F2; then non-PHI token
// retention and the most frequent missed and falsely detected shapes.
func (r *Report) WriteText(w io.Writer, topShapes int) {
	fmt.Fprintf(w, "%d notes, %d bytes\n\n", r.Notes, r.Bytes)
	fmt.Fprintf(w, "%-14s %6s %6s %7s %7s %7s %7s %7s %7s\n", "category", "gold", "caught", "recall", "tok.rec", "detect", "prec", "tok.prc", "F2")
	row := func(c *CatCounts) {
		fmt.Fprintf(w, "%-14s %6d %6d %7s %7s %7d %7s %7s %7s\n", c.Category, c.GoldSpans, c.CaughtSpans,
			pct(c.SpanRecall), pct(c.TokenRecall), c.DetectedSpans, pct(c.SpanPrecision), pct(c.TokenPrecision), pct(c.SpanF2))
	}
	row(&r.Core)
	fmt.Fprintln(w, "core (Safe Harbor):")
	for i := range r.Categories {
		if r.Categories[i].Core {
			row(&r.Categories[i])
		}
	}
	fmt.Fprintln(w, "non-core (reported apart, not in the core totals):")
	for i := range r.Categories {
		if !r.Categories[i].Core {
			row(&r.Categories[i])
		}
	}
	fmt.Fprintf(w, "\nnon-PHI tokens kept: %d of %d (%s)\n", r.NonPHIKept, r.NonPHITokens, strings.TrimSpace(pct(r.NonPHIRetention)))
	shapes := func(title string, l []ShapeCount) {
		if len(l) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (category, shape: A=upper-case run, a=lower-case run, 9=digit):\n", title)
		for i, s := range l {
			if i == topShapes {
				fmt.Fprintf(w, "  ... %d more shapes in the JSON report\n", len(l)-topShapes)
				break
			}
			fmt.Fprintf(w, "  %6d  %-14s %s\n", s.Count, s.Category, strconv.Quote(s.Shape))
		}
	}
	shapes("missed mentions by shape", r.MissShapes)
	shapes("false alarms by shape", r.FalseAlarmShapes)
	if len(r.UnknownLabels) > 0 {
		keys := make([]string, 0, len(r.UnknownLabels))
		for k := range r.UnknownLabels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintln(w, "\nlabels not in the label table (scored as non-core \"other\"):")
		for _, k := range keys {
			fmt.Fprintf(w, "  %6d  %s\n", r.UnknownLabels[k], k)
		}
	}
}

// Floors are minimum scores. Keys are a category name ("name", "date"),
// "core" (the core total) or "*" (every core category that has gold
// mentions, or detections for precision).
type Floors map[string]float64

// ParseFloors reads "0.99" (same as "*=0.99") or a comma-separated list
// "core=0.95,name=0.9,date=0.98".
func ParseFloors(s string) (Floors, error) {
	f := Floors{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			k, v = "*", part
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || x < 0 || x > 1 {
			return nil, fmt.Errorf("floor %q: want a number between 0 and 1", part)
		}
		f[strings.ToLower(strings.TrimSpace(k))] = x
	}
	return f, nil
}

// Check returns one message per floor not met: recall floors against span
// recall, precision floors against span precision. A floor naming a
// category absent from the report is reported too (nothing measured).
func (r *Report) Check(minRecall, minPrecision Floors, minRetention float64) []string {
	var out []string
	check := func(kind string, f Floors, get func(*CatCounts) *float64, has func(*CatCounts) bool) {
		keys := make([]string, 0, len(f))
		for k := range f {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			floor := f[k]
			var targets []*CatCounts
			switch k {
			case "core":
				targets = []*CatCounts{&r.Core}
			case "*":
				for i := range r.Categories {
					if r.Categories[i].Core && has(&r.Categories[i]) {
						targets = append(targets, &r.Categories[i])
					}
				}
			default:
				c := r.Category(Category(k))
				if c == nil {
					out = append(out, fmt.Sprintf("%s %s: no %s measured (floor %.3f)", k, kind, k, floor))
					continue
				}
				targets = []*CatCounts{c}
			}
			for _, c := range targets {
				v := get(c)
				if v == nil {
					out = append(out, fmt.Sprintf("%s %s: not measured (floor %.3f)", c.Category, kind, floor))
				} else if *v < floor {
					out = append(out, fmt.Sprintf("%s %s %.4f below floor %.3f", c.Category, kind, *v, floor))
				}
			}
		}
	}
	check("recall", minRecall, func(c *CatCounts) *float64 { return c.SpanRecall }, func(c *CatCounts) bool { return c.GoldSpans > 0 })
	check("precision", minPrecision, func(c *CatCounts) *float64 { return c.SpanPrecision }, func(c *CatCounts) bool { return c.DetectedSpans > 0 })
	if minRetention > 0 && (r.NonPHIRetention == nil || *r.NonPHIRetention < minRetention) {
		out = append(out, fmt.Sprintf("non-PHI token retention %s below floor %.3f", strings.TrimSpace(pct(r.NonPHIRetention)), minRetention))
	}
	return out
}
