package text

// Word tables used by the scanner. Lookups lowercase a token into a stack
// buffer and index a map with string(buf) (no allocation).

type cueKind uint8

const (
	cueNone      cueKind = iota
	cueTitle             // Dr, Mr, Mrs, Ms, Miss, Mx, Prof: next capitalized words are a name (all caps allowed)
	cueName              // patient, daughter, named, ...: next Capitalized words are a name
	cueBy                // seen, signed, ...: a following "by" makes a name cue
	cueID                // MRN, account, member, policy, license, plate, VIN, serial, id: next number is an identifier
	cueMedical           // "medical" waiting for "record"
	cueSocial            // "social" waiting for "security"
	cueSSN               // SSN: next 9 digits are an SSN
	cuePhone             // phone, tel, cell: bare 7/10 digit numbers are phones
	cueFax               // fax: bare numbers are fax numbers
	cueZip               // zip, postal, or a state abbreviation: next 5(+4) digits are a ZIP
	cueAge               // age, aged: next number >= 90 is an age
	cueNames             // sons, daughters, children: a list of names may follow
	cueWeak              // patient, pt, seen by: a following capitalized non-vocabulary word is a name
	cuePlaceVerb         // lives, resides, moved: a following preposition makes cuePlace
	cuePlace             // "lives in": the next capitalized words are a town
	cueFacVerb           // transferred, admitted, discharged: a following preposition makes cueFacility
	cueFacility          // "transferred to": the next capitalized words are a facility
	cuePrep              // in, at, from, near, of: a following dictionary place name is a town
	cuePager             // pager, beeper, pg: a following 4-6 digit number is a phone
	cueAgeWord           // a number word 90..199 ("ninety-two"): an age unit makes it an age
)

const (
	fStop     = 1 << iota // not a name start / part
	fSuffix               // street suffix
	fUnit                 // apartment / suite word
	fDate                 // date cue
	fCode                 // clinical code cue (numbers after it are codes, not ids)
	fBy                   // the word "by"
	fRecord               // the word "record"
	fSecurity             // the word "security"
	fPrep                 // a preposition that can introduce a place (in, at, to, from, of, near)
	fThru                 // "is", "was": does not end a name cue ("my name is Ann")
)

type wordInfo struct {
	cue   cueKind
	cat   Category
	ttl   int8
	month int8
	flags uint16
}

var words = map[string]wordInfo{}

func addWords(info wordInfo, list ...string) {
	for _, w := range list {
		old := words[w]
		if info.cue != cueNone {
			old.cue, old.cat, old.ttl = info.cue, info.cat, info.ttl
		}
		if info.month != 0 {
			old.month = info.month
		}
		old.flags |= info.flags | fStop
		words[w] = old
	}
}

var credentials = map[string]bool{}

var stateAbbr [26 * 26]bool

func init() {
	addWords(wordInfo{cue: cueTitle, ttl: 1}, "dr", "mr", "mrs", "ms", "miss", "mx", "prof", "doctor", "mister")
	addWords(wordInfo{cue: cueName, ttl: 1}, "daughter", "son", "wife", "husband", "mother",
		"father", "sister", "brother", "spouse", "named", "called", "friend", "partner", "girlfriend", "boyfriend",
		"nephew", "niece", "grandson", "granddaughter", "grandmother", "grandfather", "grandma", "grandpa", "aunt",
		"uncle", "cousin", "guardian", "caregiver", "name", "mom", "dad", "fiance", "fiancee", "roommate",
		"neighbor", "employer", "surname", "nickname", "aka",
		"child", "sibling", "parent", "relative", "stepson", "stepdaughter", "stepmother", "stepfather",
		"grandchild", "godmother", "godfather", "fiancé", "housemate", "landlord", "visitor", "proxy")
	addWords(wordInfo{cue: cueWeak, ttl: 1}, "patient", "pt", "pcp", "attending", "physician", "contact",
		"intern", "fellow", "provider", "surgeon", "dear", "cc", "pts", "patients")
	addWords(wordInfo{cue: cueNames, ttl: 1}, "sons", "daughters", "children", "kids", "brothers", "sisters",
		"siblings", "grandchildren", "grandsons", "granddaughters", "parents", "friends", "nieces", "nephews",
		"cousins", "grandkids", "stepchildren", "stepsons", "stepdaughters")
	addWords(wordInfo{cue: cuePlaceVerb, ttl: 4}, "lives", "live", "living", "resides", "reside", "residing",
		"moved", "native", "relocated", "raised", "grew", "visiting", "vacation", "vacationing", "traveled",
		"travelled", "trip", "hometown", "town", "city", "resident")
	addWords(wordInfo{cue: cueFacVerb, ttl: 2}, "transfer", "transferred", "transfered", "xfer", "xferred",
		"admitted", "discharged", "sent", "presented", "treated", "hospitalized", "transported", "arrived",
		"followed", "osh", "evaluated", "airlifted", "medflighted", "intubated", "dc", "returned")
	addWords(wordInfo{cue: cuePager, ttl: 3}, "pager", "beeper", "pg", "pgr", "bp#", "page", "paged")
	addWords(wordInfo{flags: fPrep}, "in", "at", "to", "from", "of", "near", "outside", "into")
	addWords(wordInfo{flags: fThru}, "is", "was", "are", "were", "named", "called")
	addWords(wordInfo{cue: cueBy, ttl: 1}, "seen", "signed", "dictated", "reviewed", "authored", "transcribed",
		"cosigned", "examined", "evaluated", "referred", "accompanied", "verified", "approved", "performed",
		"ordered", "written", "interpreted", "read", "visited", "brought")
	addWords(wordInfo{flags: fBy}, "by")
	addWords(wordInfo{cue: cueID, cat: MRN, ttl: 3}, "mrn", "chart", "mr#")
	addWords(wordInfo{cue: cueMedical, ttl: 1}, "medical")
	addWords(wordInfo{flags: fRecord}, "record")
	addWords(wordInfo{cue: cueID, cat: Account, ttl: 3}, "acct", "account", "acc")
	addWords(wordInfo{cue: cueID, cat: HealthPlan, ttl: 3}, "member", "subscriber", "policy", "beneficiary",
		"medicaid", "medicare", "insurance", "group", "hicn", "mbi")
	addWords(wordInfo{cue: cueID, cat: License, ttl: 3}, "license", "licence", "dl", "certificate", "cert", "permit")
	addWords(wordInfo{cue: cueID, cat: Vehicle, ttl: 3}, "plate", "vin", "vehicle", "tag")
	addWords(wordInfo{cue: cueID, cat: Device, ttl: 3}, "serial", "sn", "udi", "imei", "device", "pacemaker", "implant")
	addWords(wordInfo{cue: cueID, cat: OtherID, ttl: 2}, "id", "identifier", "claim", "accession", "encounter",
		"visit", "specimen", "requisition", "ticket", "passport", "badge", "employee")
	addWords(wordInfo{cue: cueSSN, ttl: 3}, "ssn", "ss", "ss#")
	addWords(wordInfo{cue: cueSocial, ttl: 1}, "social")
	addWords(wordInfo{flags: fSecurity}, "security")
	addWords(wordInfo{cue: cuePhone, ttl: 3}, "phone", "ph", "tel", "telephone", "cell", "cellphone", "mobile",
		"call", "callback", "phones", "tele")
	addWords(wordInfo{cue: cueFax, ttl: 3}, "fax", "facsimile")
	addWords(wordInfo{cue: cueZip, ttl: 3}, "zip", "zipcode", "postal", "postcode")
	addWords(wordInfo{cue: cueAge, ttl: 2}, "age", "aged", "ages")
	addWords(wordInfo{flags: fDate}, "dob", "birth", "born", "birthdate", "birthday", "date", "dated", "on", "since",
		"admitted", "admit", "admission", "discharged", "discharge", "died", "death", "expired", "deceased",
		"until", "from", "through", "thru", "last", "next", "due", "effective", "scheduled", "dos", "doa", "dod")
	addWords(wordInfo{flags: fCode}, "loinc", "snomed", "sct", "snomedct", "icd", "icd10", "icd9", "cpt", "hcpcs",
		"ndc", "rxnorm", "rxcui", "cvx", "code", "codes", "npi", "cm", "pcs")
	months := [][]string{{"january", "jan"}, {"february", "feb"}, {"march", "mar"}, {"april", "apr"}, {"may"},
		{"june", "jun"}, {"july", "jul"}, {"august", "aug"}, {"september", "sep", "sept"}, {"october", "oct"},
		{"november", "nov"}, {"december", "dec"}}
	for m, l := range months {
		addWords(wordInfo{month: int8(m + 1)}, l...)
	}
	addWords(wordInfo{flags: fSuffix}, "street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd",
		"drive", "dr", "lane", "ln", "way", "court", "ct", "place", "pl", "parkway", "pkwy", "highway", "hwy",
		"circle", "cir", "terrace", "ter", "trail", "trl", "square", "sq", "route", "rte", "plaza", "plz",
		"alley", "crescent", "loop", "pike", "turnpike")
	addWords(wordInfo{flags: fUnit}, "apt", "apartment", "suite", "ste", "unit", "rm", "room", "fl", "floor", "bldg", "building")
	addWords(wordInfo{}, "the", "a", "an", "and", "or", "but", "is", "was", "were", "are", "be", "been", "has",
		"had", "have", "did", "does", "do", "denies", "denied", "reports", "reported", "states", "stated",
		"presents", "presented", "complains", "will", "would", "should", "can", "could", "might", "must", "not",
		"no", "yes", "with", "without", "who", "which", "that", "this", "he", "she", "they", "his", "her", "their",
		"also", "alive", "in", "at", "to", "for", "of", "as", "if", "it", "all", "none", "any", "history", "hx",
		"unknown", "unk", "na", "tolerated", "given", "received", "notes", "note", "reason", "per", "via",
		"status", "well", "good", "fair", "poor", "stable", "today", "yesterday", "tomorrow", "monday",
		"tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "wed", "thu", "fri",
		"sat", "sun", "am", "pm", "home", "here", "there", "present", "absent", "negative", "positive", "normal",
		"abnormal", "ok", "okay", "same", "other", "see", "plan", "assessment", "diagnosis", "dx", "ed", "er",
		"icu", "emergency", "department", "hospital", "clinic", "medicine", "family", "surgical", "cardiology",
		"oncology", "neurology", "radiology", "pharmacy", "lab", "laboratory", "nursing", "team", "service",
		"office", "staff", "nurse", "at", "who", "whom", "when", "where", "reports", "feels", "felt", "lives",
		"living", "works", "worked", "takes", "took", "has", "history", "hpi", "ros", "exam", "pmh", "psh",
		"meds", "medications", "allergies", "nkda", "vitals", "labs", "impression", "findings", "report",
		"result", "results", "chief", "complaint", "cc", "follow", "followup", "return", "continue", "start",
		"stop", "increase", "decrease", "please", "thank", "thanks", "regards", "sincerely", "comment",
		"comments", "specimen", "test", "tests", "value", "values", "left", "right", "bilateral", "blood",
		"pressure", "heart", "rate", "pain", "fever", "cough", "none", "denies", "mild", "moderate", "severe",
		"acute", "chronic", "new", "old", "prior", "previous", "current", "daily", "twice", "once", "po", "iv",
		"im", "prn", "bid", "tid", "qid", "qd", "hs", "ac", "pc", "mg", "ml", "kg", "lb", "lbs", "cm", "mm",
		"wbc", "rbc", "hgb", "hct", "plt", "bmp", "cmp", "cbc", "ekg", "ecg", "ct", "mri", "xr", "us")
	for _, c := range []string{"MD", "DO", "RN", "NP", "PA", "PhD", "DDS", "DMD", "LPN", "CNA", "MSW", "LCSW",
		"PharmD", "APRN", "CRNP", "FNP", "DNP", "RPh", "MBBS", "PsyD", "CNM", "CRNA", "MPH"} {
		credentials[c] = true
	}
	for _, s := range []string{"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
		"IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
		"NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
		"WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP"} {
		stateAbbr[int(s[0]-'A')*26+int(s[1]-'A')] = true
	}
}

type wentry struct {
	h    uint64
	w    string
	info wordInfo
}

const wtabSize = 2048 // power of two, load factor < 0.3

// wtab is an open-addressing table over words keyed by hashTok, so the
// scanner hashes each token once and needs no map access.
var wtab [wtabSize]wentry

// wtabH holds the hashes of wtab (0 in empty slots), probed first: it is a
// quarter of wtab's size and stays in cache.
var wtabH [wtabSize]uint64

func init() {
	for w, info := range words {
		h := hashTok([]byte(w))
		p := h & (wtabSize - 1)
		for wtab[p].w != "" {
			p = (p + 1) & (wtabSize - 1)
		}
		wtab[p] = wentry{h: h, w: w, info: info}
		wtabH[p] = h
	}
}

// lookup returns the word info of tok (ASCII case-insensitive).
func lookup(tok []byte) (wordInfo, bool) {
	if len(tok) > 16 {
		return wordInfo{}, false
	}
	return lookupH(tok, hashTok(tok))
}

// lookupH is lookup with the token's hashTok already computed.
func lookupH(tok []byte, h uint64) (wordInfo, bool) {
	if len(tok) > 16 {
		return wordInfo{}, false
	}
	for p := h & (wtabSize - 1); ; p = (p + 1) & (wtabSize - 1) {
		// an empty slot has hash 0 and word "", which no token equals
		wh := wtabH[p]
		if wh == h && eqFold(tok, wtab[p].w) {
			return wtab[p].info, true
		}
		if wh == 0 && wtab[p].w == "" {
			return wordInfo{}, false
		}
	}
}

// eqFold reports whether b equals the lowercase ASCII string s, ignoring ASCII case.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// isOrdinal reports whether b is "st", "nd", "rd" or "th" (any case).
func isOrdinal(b []byte) bool {
	return eqFold(b, "st") || eqFold(b, "nd") || eqFold(b, "rd") || eqFold(b, "th")
}

// isState reports whether tok is an upper-case US state/territory abbreviation.
func isState(tok []byte) bool {
	return len(tok) == 2 && tok[0] >= 'A' && tok[0] <= 'Z' && tok[1] >= 'A' && tok[1] <= 'Z' &&
		stateAbbr[int(tok[0]-'A')*26+int(tok[1]-'A')]
}
