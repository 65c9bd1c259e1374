package leakguard

import "strconv"

// hl7Where names the segment and field of an ER7 message at byte off
// ("OBX-5"); "?" for a segment name that is not three letters or digits.
func hl7Where(out []byte, off int) string {
	start := off
	for start > 0 && out[start-1] != '\r' && out[start-1] != '\n' {
		start--
	}
	if off-start < 3 {
		return "segment start"
	}
	name := out[start : start+3]
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "?"
		}
	}
	var fs byte = '|'
	if len(out) > 3 && out[0] == 'M' && out[1] == 'S' && out[2] == 'H' {
		fs = out[3]
	}
	n := 0
	for k := start + 3; k < off; k++ {
		if out[k] == fs {
			n++
		}
	}
	if string(name) == "MSH" {
		n++ // MSH-1 is the field separator itself
	}
	return string(name) + "-" + strconv.Itoa(n)
}

type jsonFrame struct {
	arr bool
	idx int
	key string
}

// jsonWhere returns the JSON path at byte off of out (e.g.
// "entry[2].resource.note[0].text") and the last member name. Member names
// that are not plain element names, or that hold a harvested value, are
// shown as "?": a path never carries PHI.
func (s *Set) jsonWhere(out []byte, off int) (path, last string) {
	var stack []jsonFrame
	expectKey := false
	for i := 0; i < len(out) && i < off; i++ {
		switch c := out[i]; c {
		case '{':
			stack = append(stack, jsonFrame{})
			expectKey = true
		case '[':
			stack = append(stack, jsonFrame{arr: true})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) > 0 {
				if f := &stack[len(stack)-1]; f.arr {
					f.idx++
				} else {
					expectKey = true
				}
			}
		case '"':
			j := i + 1
			for j < len(out) && out[j] != '"' {
				if out[j] == '\\' {
					j++
				}
				j++
			}
			if j >= off {
				i = j
				break
			}
			if expectKey && len(stack) > 0 && !stack[len(stack)-1].arr {
				stack[len(stack)-1].key = s.safeKey(out[i+1 : min(j, len(out))])
				expectKey = false
			}
			i = j
		}
	}
	b := make([]byte, 0, 64)
	for k, f := range stack {
		if f.arr {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(f.idx), 10)
			b = append(b, ']')
			continue
		}
		if f.key == "" {
			continue
		}
		if k > 0 && len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, f.key...)
		last = f.key
	}
	if len(b) == 0 {
		return "$", last
	}
	return string(b), last
}

// safeKey returns k when it looks like a FHIR element name and is no
// harvested value, else "?".
func (s *Set) safeKey(k []byte) string {
	if len(k) == 0 || len(k) > 64 {
		return "?"
	}
	for i, c := range k {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return "?"
		}
	}
	if s.lookup(hashToken(k)) >= 0 {
		return "?"
	}
	return string(k)
}
