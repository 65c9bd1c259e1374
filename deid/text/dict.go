package text

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"sync"
	"time"
	"unicode/utf8"
)

// The name, place and allowlist dictionaries (see dict/SOURCES.md for their
// public sources and licences) are embedded gzip-compressed, one lowercase
// entry per line (multi-word places with their words joined by one space),
// and loaded once, on the first New, into one open-addressing table of
// 64-bit token hashes. The scanner hashes every token anyway (hashTok), so
// a lookup is one or two probes and never allocates.

//go:embed dict/first.txt.gz dict/last.txt.gz dict/places.txt.gz dict/allow.txt.gz
var dictFS embed.FS

// Dictionary flags, kept in the low byte of a table slot.
const (
	dFirst    = 1 << iota // a first name (US SSA baby names)
	dLast                 // a surname (US Census)
	dPlace                // a whole US place or county name (US Census Gazetteer)
	dPlacePre             // the first words of a multi-word place name
	dAllow                // a safe word (English or clinical vocabulary)
	dFacility             // a word ending a facility name (facilityList)

	dName = dFirst | dLast
)

var dictFiles = []struct {
	path string
	flag uint64
}{
	{"dict/first.txt.gz", dFirst},
	{"dict/last.txt.gz", dLast},
	{"dict/places.txt.gz", dPlace},
	{"dict/allow.txt.gz", dAllow},
}

// lexicon is the loaded dictionary table: each slot holds a token hash with
// its low byte replaced by the entry's flags (0: empty slot).
type lexicon struct {
	slots []uint64
	mask  uint64
	n     int
	load  time.Duration
}

var (
	lexOnce sync.Once
	lex     lexicon
)

// loadLexicon loads the embedded dictionaries once.
func loadLexicon() *lexicon {
	lexOnce.Do(func() {
		t0 := time.Now()
		lex.slots = make([]uint64, 1<<19)
		lex.mask = 1<<19 - 1
		for _, f := range dictFiles {
			lex.loadFile(f.path, f.flag)
		}
		for _, w := range facilityList {
			lex.add(hashLine([]byte(w)), dFacility)
		}
		lex.load = time.Since(t0)
	})
	return &lex
}

func (l *lexicon) loadFile(path string, flag uint64) {
	f, err := dictFS.Open(path)
	if err != nil {
		panic("text: embedded dictionary missing: " + path) // a build defect, not input
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		panic("text: embedded dictionary corrupt: " + path)
	}
	r := bufio.NewReaderSize(z, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		line = bytes.TrimRight(line, "\n")
		if len(line) > 0 {
			l.add(hashLine(line), flag)
			if flag == dPlace {
				for i, c := range line {
					if c == ' ' {
						l.add(hashLine(line[:i]), dPlacePre)
					}
				}
			}
		}
		if err != nil {
			break
		}
	}
}

// hashLine is hashTok without its tables, which package-level variables
// initialized before init (a Scrubber built in a var) could not yet use.
func hashLine(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

const hashMask = ^uint64(0xff)

func (l *lexicon) add(h, flag uint64) {
	key := h & hashMask
	if key == 0 {
		return
	}
	for p := h >> 8 & l.mask; ; p = (p + 1) & l.mask {
		s := l.slots[p]
		if s == 0 {
			l.slots[p] = key | flag
			l.n++
			return
		}
		if s&hashMask == key {
			l.slots[p] = s | flag
			return
		}
	}
}

// get returns the flags of the token whose hashTok is h (0: not found).
func (l *lexicon) get(h uint64) uint64 {
	key := h & hashMask
	for p := h >> 8 & l.mask; ; p = (p + 1) & l.mask {
		s := l.slots[p]
		if s&hashMask == key {
			return s & 0xff
		}
		if s == 0 {
			return 0
		}
	}
}

// hashFold is hashTok of tok with Latin accented letters folded to their
// base letter ("José" hashes as "jose"); for tokens holding non-ASCII bytes.
func hashFold(tok []byte) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(tok); {
		c := tok[i]
		if c < 0x80 {
			h = (h ^ uint64(lowerT[c])) * fnvPrime
			i++
			continue
		}
		r, n := utf8.DecodeRune(tok[i:])
		i += n
		if r >= 0xC0 && r < 0x180 {
			if b := foldLatin[r-0xC0]; b != 0 {
				h = (h ^ uint64(b)) * fnvPrime
				continue
			}
		}
		for k := i - n; k < i; k++ {
			h = (h ^ uint64(tok[k])) * fnvPrime
		}
	}
	return h
}

// foldLatin maps U+00C0..U+017F to a lowercase ASCII base letter (0: none).
var foldLatin = func() (t [0xC0]byte) {
	const l1 = "aaaaaaaceeeeiiii" + "dnooooo\x00ouuuuyts" + "aaaaaaaceeeeiiii" + "dnooooo\x00ouuuuyty"
	for i := 0; i < len(l1); i++ {
		t[i] = l1[i]
	}
	// Latin Extended-A: pairs of upper/lower case letters
	const ea = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs"
	for i := 0; i < len(ea) && 0x40+i < len(t); i++ {
		t[0x40+i] = ea[i]
	}
	return t
}()
