package deid

// DefaultRestrictedZIP3 is the union (19 areas) of the 3-digit ZIP areas with
// 20,000 people or fewer in HHS guidance (2000 census) and in Microsoft's
// anonymizer (2010 ZCTAs). Their ZIP3 becomes "000".
var DefaultRestrictedZIP3 = []string{
	"036", "059", "063", "102", "203", "205", "369", "556", "692", "790",
	"821", "823", "830", "831", "878", "879", "884", "890", "893",
}

// zip3 returns the Safe Harbor form of a ZIP code: its first three digits,
// or "000" for a restricted area. Values that are not US ZIP codes (no five
// leading digits) are removed entirely: a foreign postcode can be as precise
// as a street.
func (e *Engine) zip3(z string) (string, bool) {
	n := 0
	for n < len(z) && z[n] >= '0' && z[n] <= '9' {
		n++
	}
	if n < 5 {
		return "", false
	}
	p := z[:3]
	if e.restricted[p] {
		return "000", true
	}
	return p, true
}
