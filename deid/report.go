package deid

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/safeharbor/safeharbor/deid/text"
)

// Action is what the engine did to an identifier.
type Action uint8

// Actions counted in a Report.
const (
	Removed       Action = iota // the value was deleted
	Pseudonymized               // replaced by a keyed pseudonym
	Generalized                 // reduced: date to year, ZIP to ZIP3, age to "90 or older"
	Shifted                     // date shifted (shift profile only)
	Scrubbed                    // replaced by a category tag inside free text
	numActions
)

var actionNames = [numActions]string{"removed", "pseudonymized", "generalized", "shifted", "scrubbed"}

// String returns the action's report name.
func (a Action) String() string {
	if a >= numActions {
		return "invalid"
	}
	return actionNames[a]
}

// Report counts what de-identification did, per identifier category and
// action, plus dropped segments and elements. It never holds values.
type Report struct {
	Counts   [text.NumCategories][numActions]int
	Dropped  map[string]int // dropped structures by kind: "segment:Z*", "segment:unknown", "extension", ...
	Messages int            // messages or resources processed
	Failed   int            // inputs that could not be de-identified
}

// Add records n identifiers of category c handled with action a.
func (r *Report) Add(c text.Category, a Action, n int) {
	if r == nil || n == 0 {
		return
	}
	r.Counts[c][a] += n
}

func (r *Report) drop(kind string) {
	if r == nil {
		return
	}
	if r.Dropped == nil {
		r.Dropped = map[string]int{}
	}
	r.Dropped[kind]++
}

func (r *Report) addScrubbed(c *text.Counts) {
	if r == nil {
		return
	}
	for i, n := range c {
		r.Counts[i][Scrubbed] += n
	}
}

// Merge adds o into r.
func (r *Report) Merge(o *Report) {
	for c := range o.Counts {
		for a := range o.Counts[c] {
			r.Counts[c][a] += o.Counts[c][a]
		}
	}
	for k, v := range o.Dropped {
		if r.Dropped == nil {
			r.Dropped = map[string]int{}
		}
		r.Dropped[k] += v
	}
	r.Messages += o.Messages
	r.Failed += o.Failed
}

// Total returns the number of identifiers handled.
func (r *Report) Total() int {
	n := 0
	for c := range r.Counts {
		for a := range r.Counts[c] {
			n += r.Counts[c][a]
		}
	}
	return n
}

// MarshalJSON writes {"messages":..,"failed":..,"identifiers":{"name":{"removed":3},...},"dropped":{...}}.
func (r *Report) MarshalJSON() ([]byte, error) {
	ids := map[string]map[string]int{}
	for c := range r.Counts {
		for a, n := range r.Counts[c] {
			if n == 0 {
				continue
			}
			k := text.Category(c).String()
			if ids[k] == nil {
				ids[k] = map[string]int{}
			}
			ids[k][Action(a).String()] = n
		}
	}
	return json.Marshal(struct {
		Messages    int                       `json:"messages"`
		Failed      int                       `json:"failed"`
		Identifiers map[string]map[string]int `json:"identifiers"`
		Dropped     map[string]int            `json:"dropped,omitempty"`
	}{r.Messages, r.Failed, ids, r.Dropped})
}

// WriteText prints the report as aligned text.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "messages: %d  failed: %d\n", r.Messages, r.Failed)
	for c := range r.Counts {
		for a, n := range r.Counts[c] {
			if n > 0 {
				fmt.Fprintf(w, "  %-12s %-14s %d\n", text.Category(c), Action(a), n)
			}
		}
	}
	keys := make([]string, 0, len(r.Dropped))
	for k := range r.Dropped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  dropped %-20s %d\n", k, r.Dropped[k])
	}
}
