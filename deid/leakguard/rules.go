package leakguard

// Category is the kind of an identifying value.
type Category uint8

// Categories of harvested values.
const (
	Name       Category = iota // a person's name part (patient, relative, guarantor, insured), or an employer
	Identifier                 // MRN, account, visit, order, plan, SSN, licence, device, message or resource id
	Phone                      // telephone or fax number
	Email                      // e-mail address
	Address                    // street line, city, county
	ZIP                        // full postal code
	Date                       // full date (year, month and day)
	numCategories
)

var categoryNames = [numCategories]string{"name", "identifier", "phone", "email", "address", "zip", "date"}

// String returns the category's name as used in errors and metrics.
func (c Category) String() string {
	if c < numCategories {
		return categoryNames[c]
	}
	return "unknown"
}

// Rule says when a harvested value of one category is checked, and how.
type Rule struct {
	// MinLen is the least number of letters and digits a value (or, for
	// names, one name part) needs to be checked at all.
	MinLen int
	// MinDigits is the least number of digits of a value made only of
	// digits (and punctuation) to be checked.
	MinDigits int
	// Parts: each token of the value (a name part) is matched alone, not
	// only the whole value; common words (CommonWords) are matched only
	// within the whole name.
	Parts bool
	// DigitForms: the value's digits also match run together ("5555550123")
	// and, for ten digits, without the area code.
	DigitForms bool
	// LongNumbers: runs of at least 6 digits inside the value also match
	// alone ("MRN-0012345" leaks as "0012345").
	LongNumbers bool
	// Why documents the rule.
	Why string
}

// Rules are the matching rules per category: the policy of this package as
// data (the README's table is this one).
var Rules = [numCategories]Rule{
	Name: {MinLen: 3, Parts: true,
		Why: "each name part of 3 or more letters alone; a part that is a common word (Will, May, White) only within the full name (given family, family given)"},
	Identifier: {MinLen: 4, MinDigits: 5, LongNumbers: true,
		Why: "whole value of 4 or more letters/digits with at least one digit (letters-only values name systems and facilities more often than people); all-digit values need 5+ digits; digit runs of 6+ also alone; an all-digit value inside a decimal number (12345.6) is not a hit; OIDs and values the record keeps as a namespace or assigning authority are not checked"},
	Phone: {MinLen: 7, MinDigits: 7, DigitForms: true,
		Why: "7+ digits, in any punctuation, run together, with or without the country code 1 or area code"},
	Email: {MinLen: 5,
		Why: "whole address, any case"},
	Address: {MinLen: 4,
		Why: "whole street line or city (4+ letters/digits); never a state or country name, nor the address's own state or country; an other-designation line (XAD-2) only with a digit (Apt 4B)"},
	ZIP: {MinLen: 5, MinDigits: 5,
		Why: "full 5-digit ZIP or ZIP+4 (ZIP3 is kept by Safe Harbor)"},
	Date: {MinLen: 8,
		Why: "full dates only (year alone is allowed), in every common spelling: 20240315, 2024-03-15, 03/15/2024, 15.03.2024, 3/15/24, Mar 15, 2024, 15 March 2024; HL7/FHIR timestamps by their date"},
}

// CommonWords are name parts that are also common English or clinical
// words: matched only as part of the full name, never alone, since kept
// clinical text ("White blood cell count", "may repeat") would otherwise
// refuse valid records. Name particles (van, der, de) are here too.
var CommonWords = []string{
	// particles and titles
	"van", "der", "den", "del", "della", "des", "dos", "das", "von", "bin", "ibn", "abu", "ben", "mac", "san", "st", "ste",
	"jr", "sr", "iii", "mrs", "miss", "mr", "dr",
	// given names that are words
	"will", "may", "june", "april", "august", "mark", "bill", "grace", "hope", "joy", "faith", "rose", "lily", "iris",
	"ivy", "dawn", "eve", "amber", "ruby", "pearl", "summer", "autumn", "sky", "rain", "star", "sunny", "honey",
	"art", "drew", "pat", "sue", "guy", "gene", "ray", "rich", "frank", "dean", "earl", "duke", "prince", "king",
	"don", "max", "sandy", "rusty", "chase", "hunter", "cash", "major", "page", "ed", "bob", "jack", "jean", "ned",
	"lee", "fay", "kay", "ann", "cliff", "glen", "dale", "rod", "sal", "val", "penny", "holly", "heather", "jade",
	"crystal", "destiny", "harmony", "melody", "patience", "precious", "trinity", "ginger", "candy", "angel",
	// family names that are words
	"white", "black", "brown", "green", "gray", "grey", "young", "long", "short", "little", "small", "large",
	"hill", "wood", "woods", "stone", "rice", "bell", "case", "bush", "ward", "hall", "park", "lane", "field",
	"cook", "baker", "fisher", "mason", "price", "banks", "cross", "rush", "sharp", "strong", "hardy", "swift",
	"moody", "best", "bond", "day", "cole", "north", "south", "west", "east", "street", "ford", "holmes",
	"love", "law", "rock", "river", "rivers", "lake", "marsh", "moss", "reed", "snow", "frost", "winter",
	"spring", "wolf", "fox", "bird", "crane", "swan", "lamb", "bull", "hart", "nurse", "doctor", "head",
	"foot", "hand", "back", "heart", "blood", "bone", "cell", "cells", "chest", "brain", "skin", "pain",
	"care", "home", "new", "old", "good", "well", "sick", "bed", "wall", "gate", "glass", "gold", "silver",
	"iron", "steel", "salt", "pepper", "sugar", "wells", "waters", "chamber", "chambers", "bishop", "pope",
	"child", "mann", "man", "son", "tan", "lim", "ng", "le", "do", "ha", "ho", "ma", "mo", "to", "so", "oh",
	"an", "ko", "kim", "lin", "chan", "sun", "moon", "hu", "he", "li", "yu", "wu", "ye", "bar", "baron",
	"normal", "acute", "left", "right", "stable", "patient", "plan", "note", "test", "result", "final",
	"lab", "labs", "sample", "specimen", "safe", "harbor", "deid", "shift", "report", "simple",
}

// StateNames are never harvested (Safe Harbor keeps the state): US states,
// territories and common spellings of the country; and placeholder values
// that identify no one ("unknown", "self employed").
var StateNames = []string{
	"alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
	"florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky",
	"louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota", "mississippi", "missouri",
	"montana", "nebraska", "nevada", "new hampshire", "new jersey", "new mexico", "new york",
	"north carolina", "north dakota", "ohio", "oklahoma", "oregon", "pennsylvania", "rhode island",
	"south carolina", "south dakota", "tennessee", "texas", "utah", "vermont", "virginia", "washington",
	"west virginia", "wisconsin", "wyoming", "district of columbia", "puerto rico", "guam",
	"virgin islands", "american samoa", "northern mariana islands",
	"usa", "united states", "united states of america", "america", "canada", "mexico",
	// placeholders that are no one's identifier
	"unknown", "none", "n/a", "not applicable", "declined", "refused", "self employed", "retired",
	"unemployed", "homeless", "test", "patient", "anonymous", "redacted", "removed", "null", "example",
}

// FacilityFieldsHL7 lists HL7v2 output fields where a name part or an
// address value (street, city) of the patient is not a hit: fields naming a
// facility, application, location or organisation ("Springfield General",
// "Mercy Hospital"), which the engine keeps. Phones, ZIP codes, ids and
// dates are hits there too.
var FacilityFieldsHL7 = []string{
	"MSH-3", "MSH-4", "MSH-5", "MSH-6", "PV1-3", "PV1-6", "PV1-11", "PV1-39", "PV1-42", "PV1-43",
	"PV2-23", "ORC-21", "ORC-17", "OBR-44", "SFT-1", "SPM-17", "IN1-3", "IN1-4", "PD1-3", "AIL-3",
	"OBX-15", "OBX-23", "RXA-11", "RXA-27", "PRT-8", "PRT-9",
}

// FacilityKeysJSON lists FHIR element names under which a name part or an
// address value of the patient is not a hit: organisation and location
// names (a HumanName's parts are under family, given and text instead).
var FacilityKeysJSON = []string{"name", "alias"}

var (
	facilityHL7  = map[string]bool{}
	facilityJSON = map[string]bool{}
)

func init() {
	for _, w := range FacilityFieldsHL7 {
		facilityHL7[w] = true
	}
	for _, w := range FacilityKeysJSON {
		facilityJSON[w] = true
	}
}
