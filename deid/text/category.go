package text

// Category is a Safe Harbor identifier category. Several categories share
// one tag in the scrubbed text (all record-like numbers become "[ID]") but
// are counted separately in [Counts].
type Category uint8

// The Safe Harbor identifier categories (45 CFR 164.514(b)(2)(i)(A)-(R)).
const (
	Name       Category = iota // (A) names of the patient, relatives, employers, household members; tag [NAME]
	Address                    // (B) street, city, county, precinct, geocode; tag [ADDRESS]
	ZIP                        // (B) ZIP codes; tag [ZIP]
	Date                       // (C) all date elements except the year; tag [DATE]
	Age                        // (C) ages of 90 and over; tag [AGE]
	Phone                      // (D) telephone numbers; tag [PHONE]
	Fax                        // (E) fax numbers; tag [FAX]
	Email                      // (F) e-mail addresses; tag [EMAIL]
	SSN                        // (G) Social Security numbers; tag [SSN]
	MRN                        // (H) medical record numbers; tag [ID]
	HealthPlan                 // (I) health plan beneficiary / member / policy numbers; tag [ID]
	Account                    // (J) account numbers; tag [ID]
	License                    // (K) certificate and license numbers; tag [ID]
	Vehicle                    // (L) vehicle identifiers, license plates, VINs; tag [ID]
	Device                     // (M) device identifiers and serial numbers; tag [DEVICE]
	URL                        // (N) web URLs; tag [URL]
	IP                         // (O) IPv4 and IPv6 addresses; tag [IP]
	Biometric                  // (P) biometric identifiers; tag [BIOMETRIC]
	Photo                      // (Q) full-face photographs and comparable images; tag [PHOTO]
	OtherID                    // (R) any other unique identifying number or code; tag [ID]

	// NumCategories is the number of categories; valid categories are < NumCategories.
	NumCategories
)

var categoryNames = [NumCategories]string{
	Name: "name", Address: "address", ZIP: "zip", Date: "date", Age: "age",
	Phone: "phone", Fax: "fax", Email: "email", SSN: "ssn", MRN: "mrn",
	HealthPlan: "health_plan", Account: "account", License: "license",
	Vehicle: "vehicle", Device: "device", URL: "url", IP: "ip",
	Biometric: "biometric", Photo: "photo", OtherID: "other_id",
}

var categoryTags = [NumCategories]string{
	Name: "[NAME]", Address: "[ADDRESS]", ZIP: "[ZIP]", Date: "[DATE]", Age: "[AGE]",
	Phone: "[PHONE]", Fax: "[FAX]", Email: "[EMAIL]", SSN: "[SSN]", MRN: "[ID]",
	HealthPlan: "[ID]", Account: "[ID]", License: "[ID]", Vehicle: "[ID]",
	Device: "[DEVICE]", URL: "[URL]", IP: "[IP]", Biometric: "[BIOMETRIC]",
	Photo: "[PHOTO]", OtherID: "[ID]",
}

// MaxTagLen is the length in bytes of the longest tag ("[BIOMETRIC]").
const MaxTagLen = 11

// String returns the stable lowercase name of c used in reports
// ("name", "date", "health_plan", ...), or "invalid" for an out-of-range value.
func (c Category) String() string {
	if c >= NumCategories {
		return "invalid"
	}
	return categoryNames[c]
}

// Tag returns the text that replaces a value of category c, e.g. "[NAME]".
// Out-of-range values get "[ID]".
func (c Category) Tag() string {
	if c >= NumCategories {
		return "[ID]"
	}
	return categoryTags[c]
}

// Counts accumulates the number of replacements per category. It never holds
// the replaced values. Index it with a [Category].
type Counts [NumCategories]int

// Total returns the sum of all counts.
func (c *Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Add adds every count of o to c.
func (c *Counts) Add(o *Counts) {
	for i, v := range o {
		c[i] += v
	}
}

// tagAt reports the end of a tag starting at b[i] == '[' (as produced by
// Scrub), or -1 if no tag starts there.
func tagAt(b []byte, i int) int {
	rest := b[i:]
	if len(rest) < 4 {
		return -1
	}
	for _, t := range uniqueTags {
		if len(rest) >= len(t) && string(rest[:len(t)]) == t {
			return i + len(t)
		}
	}
	return -1
}

var uniqueTags = []string{"[NAME]", "[ADDRESS]", "[ZIP]", "[DATE]", "[AGE]", "[PHONE]", "[FAX]",
	"[EMAIL]", "[SSN]", "[ID]", "[DEVICE]", "[URL]", "[IP]", "[BIOMETRIC]", "[PHOTO]"}
