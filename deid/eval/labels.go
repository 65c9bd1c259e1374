package eval

import (
	"strconv"
	"strings"
	"unicode"
)

// Category is an evaluation category: a stable lowercase name such as
// "name", "date" or "provider_name".
type Category string

// The evaluation categories. Core categories are Safe Harbor identifiers;
// the others are reported separately (see the package documentation).
const (
	CatName      Category = "name"     // patient, relatives, other persons named in connection with the patient
	CatAddress   Category = "address"  // street, city, town, county, other place below state level
	CatHospital  Category = "hospital" // hospital, clinic, facility or organization name
	CatZIP       Category = "zip"
	CatDate      Category = "date" // any date element other than the year
	CatAge       Category = "age"  // ages of 90 and over
	CatPhone     Category = "phone"
	CatFax       Category = "fax"
	CatEmail     Category = "email"
	CatURL       Category = "url"
	CatIP        Category = "ip"
	CatSSN       Category = "ssn"
	CatID        Category = "id" // medical record, health plan, account, license, vehicle and other identifying numbers
	CatDevice    Category = "device"
	CatBiometric Category = "biometric"

	CatProviderName Category = "provider_name" // clinicians' names (not an identifier of the individual)
	CatUsername     Category = "username"
	CatProfession   Category = "profession"
	CatState        Category = "state"
	CatCountry      Category = "country"
	CatRoom         Category = "room"       // room and bed numbers
	CatDepartment   Category = "department" // hospital departments and units
	CatAgeUnder90   Category = "age_under_90"
	CatYear         Category = "year" // a bare year ("2019", "'98"), which Safe Harbor permits
	CatOther        Category = "other"
)

// coreCats lists the core categories in report order.
var coreCats = []Category{CatName, CatAddress, CatHospital, CatZIP, CatDate, CatAge, CatPhone, CatFax,
	CatEmail, CatURL, CatIP, CatSSN, CatID, CatDevice, CatBiometric}

// nonCoreCats lists the non-core categories in report order.
var nonCoreCats = []Category{CatProviderName, CatUsername, CatProfession, CatState, CatCountry,
	CatRoom, CatDepartment, CatAgeUnder90, CatYear, CatOther}

// CoreCategories returns the core (Safe Harbor) categories in report order.
func CoreCategories() []Category { return append([]Category(nil), coreCats...) }

// IsCore reports whether c is a Safe Harbor identifier category.
func (c Category) IsCore() bool {
	for _, k := range coreCats {
		if k == c {
			return true
		}
	}
	return false
}

// LabelTable maps an upper-case gold label to its category. i2b2 labels are
// looked up as "ELEMENT:TYPE" first ("LOCATION:OTHER"), then as TYPE, then as
// ELEMENT; BRAT and JSONL labels as written. Ages and dates are refined by
// value (see [Classify]). Labels not in the table are an error.
var LabelTable = map[string]Category{
	// persons
	"NAME": CatName, "PATIENT": CatName, "PERSON": CatName, "PER": CatName, "RELATIVE": CatName,
	"FAMILY": CatName, "NAME:PATIENT": CatName, "NAME_PATIENT": CatName, "FIRST_NAME": CatName,
	"LAST_NAME": CatName, "FIRSTNAME": CatName, "LASTNAME": CatName, "OTHER_PERSON": CatName,
	"DOCTOR": CatProviderName, "PROVIDER": CatProviderName, "NAME:DOCTOR": CatProviderName,
	"STAFF": CatProviderName, "HCW": CatProviderName,
	"USERNAME": CatUsername, "NAME:USERNAME": CatUsername,
	"PROFESSION": CatProfession,
	// places
	"STREET": CatAddress, "ADDRESS": CatAddress, "STREET_ADDRESS": CatAddress, "CITY": CatAddress,
	"TOWN": CatAddress, "COUNTY": CatAddress, "LOCATION": CatAddress, "LOCATION:OTHER": CatAddress,
	"LOC": CatAddress, "GPE": CatAddress,
	"HOSPITAL": CatHospital, "ORGANIZATION": CatHospital, "FACILITY": CatHospital, "ORG": CatHospital,
	"LOCATION:HOSPITAL": CatHospital, "LOCATION:ORGANIZATION": CatHospital, "COMPANY": CatHospital,
	"ZIP": CatZIP, "ZIPCODE": CatZIP, "ZIP_CODE": CatZIP, "POSTCODE": CatZIP,
	"STATE": CatState, "COUNTRY": CatCountry, "NATIONALITY": CatCountry,
	"ROOM": CatRoom, "DEPARTMENT": CatDepartment, "LOCATION:ROOM": CatRoom, "LOCATION:DEPARTMENT": CatDepartment,
	// dates and ages
	"DATE": CatDate, "DOB": CatDate, "DATE_OF_BIRTH": CatDate, "DATETIME": CatDate,
	"AGE": CatAge, "YEAR": CatYear,
	// contacts
	"PHONE": CatPhone, "TELEPHONE": CatPhone, "PHONE_NUMBER": CatPhone, "PAGER": CatPhone,
	"CONTACT": CatPhone, "CONTACT:PHONE": CatPhone,
	"FAX": CatFax, "CONTACT:FAX": CatFax,
	"EMAIL": CatEmail, "E-MAIL": CatEmail, "CONTACT:EMAIL": CatEmail,
	"URL": CatURL, "CONTACT:URL": CatURL, "WEB": CatURL,
	"IPADDR": CatIP, "IP": CatIP, "IP_ADDRESS": CatIP, "CONTACT:IPADDR": CatIP,
	// numbers
	"SSN": CatSSN, "ID:SSN": CatSSN,
	"ID": CatID, "MEDICALRECORD": CatID, "MRN": CatID, "HEALTHPLAN": CatID, "ACCOUNT": CatID,
	"LICENSE": CatID, "VEHICLE": CatID, "IDNUM": CatID, "ID:IDNUM": CatID, "ID:MEDICALRECORD": CatID,
	"ID:HEALTHPLAN": CatID, "ID:ACCOUNT": CatID, "ID:LICENSE": CatID, "ID:VEHICLE": CatID,
	"MEMBER_ID": CatID, "ACCOUNT_NUMBER": CatID, "PASSPORT": CatID, "DRIVER_LICENSE": CatID,
	"DEVICE": CatDevice, "ID:DEVICE": CatDevice, "SERIAL": CatDevice,
	"BIOID": CatBiometric, "ID:BIOID": CatBiometric, "BIOMETRIC": CatBiometric,
	"OTHER": CatOther, "PHI": CatOther,
}

// lookupLabel finds the category of a label (case-insensitive). For i2b2,
// elem is the element name and label the TYPE attribute.
func lookupLabel(elem, label string) (Category, bool) {
	e, l := strings.ToUpper(strings.TrimSpace(elem)), strings.ToUpper(strings.TrimSpace(label))
	if e != "" && l != "" {
		if c, ok := LabelTable[e+":"+l]; ok {
			return c, true
		}
	}
	if l != "" {
		if c, ok := LabelTable[l]; ok {
			return c, true
		}
	}
	if e != "" {
		if c, ok := LabelTable[e]; ok {
			return c, true
		}
	}
	return "", false
}

// Classify refines a category by the span's text: an age under 90 is
// non-core ("age_under_90"), a date that is only a year ("2019", "'98") is
// "year". Ages whose value cannot be read stay core (the cautious side).
func Classify(c Category, text string) Category {
	switch c {
	case CatAge:
		if v, ok := ageValue(text); ok && v < 90 {
			return CatAgeUnder90
		}
	case CatDate:
		if isBareYear(text) {
			return CatYear
		}
	}
	return c
}

func isBareYear(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) == 3 && (s[0] == '\'' || s[0] == '`') && isDigits(s[1:]) {
		return true
	}
	if s2, ok := strings.CutPrefix(s, "\u2019"); ok && len(s2) == 2 && isDigits(s2) {
		return true
	}
	if len(s) == 4 && isDigits(s) {
		y, _ := strconv.Atoi(s)
		return y >= 1800 && y <= 2199
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var numberWords = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
	"forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}

// ageValue reads an age from its text: the first number ("92", "92yo",
// "90s") or number words ("ninety-two", "one hundred and one").
func ageValue(s string) (int, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			v, err := strconv.Atoi(s[i:j])
			return v, err == nil
		}
	}
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	v, found := 0, false
	for _, w := range words {
		n, ok := numberWords[w]
		if !ok {
			continue
		}
		found = true
		if n == 100 {
			if v == 0 {
				v = 1
			}
			v *= 100
		} else {
			v += n
		}
	}
	return v, found
}

// tagCategory maps a scrubber tag ("[DATE]") to the evaluation category
// used to attribute precision.
var tagCategory = map[string]Category{
	"[NAME]": CatName, "[ADDRESS]": CatAddress, "[ZIP]": CatZIP, "[DATE]": CatDate, "[AGE]": CatAge,
	"[PHONE]": CatPhone, "[FAX]": CatFax, "[EMAIL]": CatEmail, "[SSN]": CatSSN, "[ID]": CatID,
	"[DEVICE]": CatDevice, "[URL]": CatURL, "[IP]": CatIP, "[BIOMETRIC]": CatBiometric,
	"[PHOTO]": CatBiometric, "[HOSPITAL]": CatHospital, "[LOCATION]": CatAddress,
}

// LabelCategory returns the category of a gold label (as in [LabelTable],
// case-insensitive) refined by the span text (see [Classify]); unknown
// labels give [CatOther] and false.
func LabelCategory(label, text string) (Category, bool) {
	c, ok := lookupLabel("", label)
	if !ok {
		return CatOther, false
	}
	return Classify(c, text), true
}
