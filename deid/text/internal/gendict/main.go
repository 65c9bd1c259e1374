// Command gendict builds the compressed name, place and allowlist
// dictionaries embedded by package text (deid/text/dict/*.txt.gz) from
// public sources. It is run by hand when the sources change; see
// deid/text/dict/SOURCES.md for where each input comes from and its licence.
//
//	go run ./deid/text/internal/gendict -ssa maxoccurances.txt \
//	    -census dist.all.last -places 2025_Gaz_place_national.txt \
//	    -counties counties.txt -scowl american-english \
//	    -philter whitelist.json -extra deid/text/dict/allow_extra.txt \
//	    -out deid/text/dict
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	ssa := flag.String("ssa", "", "SSA baby names, name,sex,max-occurrences,year per line")
	ssaMin := flag.Int("ssa-min", 20, "keep first names given to at least this many babies in their peak year")
	census := flag.String("census", "", "Census surnames: NAME FREQ CUMFREQ RANK per line")
	places := flag.String("places", "", "Census Gazetteer places file (pipe separated, NAME in column 5)")
	counties := flag.String("counties", "", "Census Gazetteer counties (pipe separated, NAME in column 4)")
	scowl := flag.String("scowl", "", "SCOWL word list (one word per line; only all-lowercase words are kept)")
	philter := flag.String("philter", "", "Philter whitelist JSON object (word -> 1)")
	extra := flag.String("extra", "", "hand-kept allowlist additions (one word per line, # comments)")
	out := flag.String("out", "deid/text/dict", "output directory")
	flag.Parse()

	// common: names frequent enough that an English word spelled the same
	// is left out of the SCOWL part of the allowlist ("smith", "john")
	first, common := map[string]bool{}, map[string]bool{}
	eachLine(*ssa, func(l string) {
		f := strings.Split(l, ",")
		if len(f) < 3 {
			return
		}
		if n, err := strconv.Atoi(f[2]); err == nil && n >= *ssaMin {
			add(first, f[0])
			if n >= 2000 {
				add(common, f[0])
			}
		}
	})
	last := map[string]bool{}
	eachLine(*census, func(l string) {
		if f := strings.Fields(l); len(f) >= 2 {
			add(last, f[0])
			if p, err := strconv.ParseFloat(f[1], 64); err == nil && p >= 0.01 {
				add(common, f[0])
			}
		}
	})
	place := map[string]bool{}
	eachLine(*places, func(l string) {
		f := strings.Split(l, "|")
		if len(f) < 5 || f[0] == "USPS" {
			return
		}
		add(place, placeName(f[4]))
	})
	eachLine(*counties, func(l string) {
		f := strings.Split(l, "|")
		if len(f) < 4 {
			return
		}
		n := f[3]
		add(place, n) // "Cook County"
		for _, suf := range []string{" County", " Parish", " Borough", " Census Area", " Municipio", " Municipality", " city", " City and Borough"} {
			if strings.HasSuffix(n, suf) {
				add(place, strings.TrimSuffix(n, suf))
				break
			}
		}
	})
	// The allowlist: Philter's whitelist (English and medical vocabulary with
	// names taken out), SCOWL's lowercase English words that are not also
	// common first names or surnames, and the hand-kept list of words that are names too but
	// far more often plain words. Single tokens only.
	allow := map[string]bool{}
	if *philter != "" {
		b, err := os.ReadFile(*philter)
		check(err)
		var m map[string]any
		check(json.Unmarshal(b, &m))
		for w := range m {
			addTok(allow, w)
		}
	}
	eachLine(*scowl, func(l string) {
		if l != "" && l == strings.ToLower(l) && !strings.Contains(l, "'") {
			if n := norm(l); !common[n] {
				addTok(allow, l)
			}
		}
	})
	eachLine(*extra, func(l string) {
		if l != "" && !strings.HasPrefix(l, "#") {
			addTok(allow, l)
		}
	})
	write(filepath.Join(*out, "first.txt.gz"), first)
	write(filepath.Join(*out, "last.txt.gz"), last)
	write(filepath.Join(*out, "places.txt.gz"), place)
	write(filepath.Join(*out, "allow.txt.gz"), allow)
}

// placeName strips the legal/statistical area description ("city", "town",
// "CDP", "(balance)", "unified government") from a Gazetteer place name.
func placeName(n string) string {
	if i := strings.Index(n, " ("); i > 0 {
		n = n[:i]
	}
	f := strings.Fields(n)
	for len(f) > 1 {
		w := f[len(f)-1]
		if w == "CDP" || w == strings.ToLower(w) {
			f = f[:len(f)-1]
			continue
		}
		break
	}
	return strings.Join(f, " ")
}

// norm lowercases w and joins its ASCII letter/digit runs (and non-ASCII
// bytes) with single spaces, the form the scanner hashes; "" when w has no
// letters or is too long to be useful.
func norm(w string) string {
	var b strings.Builder
	sep := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c >= 0x80:
			if sep && b.Len() > 0 {
				b.WriteByte(' ')
			}
			sep = false
			b.WriteByte(c)
		default:
			sep = true
		}
	}
	s := b.String()
	if len(s) < 2 || len(s) > 40 || strings.Count(s, " ") > 3 || strings.ContainsAny(s, "0123456789") {
		return ""
	}
	return s
}

func add(m map[string]bool, w string) {
	if n := norm(w); n != "" {
		m[n] = true
	}
}

// addTok adds w when it is a single token of at most 15 bytes (longer
// tokens are never taken as names, so they need no allowlist entry).
func addTok(m map[string]bool, w string) {
	if n := norm(w); n != "" && !strings.Contains(n, " ") && len(n) <= 15 {
		m[n] = true
	}
}

func eachLine(path string, fn func(string)) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<16), 1<<20)
	for s.Scan() {
		fn(strings.TrimSpace(s.Text()))
	}
	check(s.Err())
}

func write(path string, m map[string]bool) {
	ws := make([]string, 0, len(m))
	for w := range m {
		ws = append(ws, w)
	}
	sort.Strings(ws)
	f, err := os.Create(path)
	check(err)
	z, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	check(err)
	z.Write([]byte(strings.Join(ws, "\n") + "\n"))
	check(z.Close())
	check(f.Close())
	fmt.Printf("%s: %d entries\n", path, len(ws))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
