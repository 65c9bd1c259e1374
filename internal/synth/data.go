package synth

var familyNames = []string{
	"Anderson", "Okafor", "Nguyen", "Garcia", "Kowalski", "O'Brien", "Haddad", "Lindqvist",
	"Tanaka", "Moreau", "Petrov", "Fitzgerald", "Castillo", "Abernathy", "Schneider", "Mbeki",
	"Delacroix", "Yamamoto", "Rasmussen", "Oyelaran", "Whitcombe", "Bianchi", "Novak", "Quintero",
	"Hollingsworth", "Szabo", "Van der Berg", "Achterberg", "Papadopoulos", "Iverson",
}

var givenFemale = []string{
	"Maria", "Aisha", "Eleanor", "Mei", "Sofia", "Ingrid", "Priya", "Chloe", "Fatima", "Hannah",
	"Yuki", "Beatriz", "Olga", "Imogen", "Zainab",
}

var givenMale = []string{
	"James", "Oluwaseun", "Tomasz", "Hiroshi", "Mateo", "Dmitri", "Liam", "Rashid", "Henrik",
	"Arjun", "Callum", "Diego", "Kwame", "Pierre", "Elias",
}

var middleInitials = []string{"A", "B", "C", "D", "E", "J", "K", "L", "M", "R", "S", "T", ""}

var streets = []string{
	"Maple Ave", "Oak St", "Harborview Rd", "Elm Ct", "Cedar Ln", "Willow Way", "Birch Blvd",
	"Chestnut Dr", "Juniper Pl", "Sycamore St", "Aspen Cir", "Magnolia Ter",
}

type city struct{ name, state, zip3 string }

var cities = []city{
	{"Springfield", "IL", "627"}, {"Riverton", "WY", "825"}, {"Fairview", "OR", "970"},
	{"Georgetown", "TX", "786"}, {"Salem", "MA", "019"}, {"Madison", "WI", "537"},
	{"Franklin", "TN", "370"}, {"Clinton", "IA", "527"}, {"Ashland", "KY", "411"},
	{"Burlington", "VT", "054"},
}

var employers = []string{
	"Acme Logistics", "Smith & Sons Hardware", "Harbor City Schools", "Bluefield Bank",
	"Northwind Traders", "Self-employed", "Retired", "Riverside Dental",
}

var insurers = []struct{ id, name string }{
	{"BCBS01", "Blue Cross Blue Shield"}, {"AET02", "Aetna"}, {"UHC03", "UnitedHealthcare"},
	{"MCR04", "Medicare Part A & B"}, {"MCD05", "Medicaid"}, {"CIG06", "Cigna"},
}

type provider struct{ npi, family, given string }

var providers = []provider{
	{"1003000126", "Whitaker", "Alan"}, {"1215930367", "Chen", "Grace"}, {"1427051473", "Osei", "Kofi"},
	{"1639172588", "Brennan", "Nora"}, {"1841293694", "Albright", "Samuel"}, {"1053314790", "Varga", "Ilona"},
	{"1265435806", "Duarte", "Rafael"}, {"1477556912", "Kimura", "Ren"},
}

type diagnosis struct{ code, text string }

var diagnoses = []diagnosis{
	{"E11.9", "Type 2 diabetes mellitus without complications"},
	{"I10", "Essential (primary) hypertension"},
	{"J18.9", "Pneumonia, unspecified organism"},
	{"N39.0", "Urinary tract infection, site not specified"},
	{"I48.91", "Unspecified atrial fibrillation"},
	{"J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation"},
	{"K35.80", "Unspecified acute appendicitis"},
	{"S72.001A", "Fracture of unspecified part of neck of right femur, initial encounter"},
	{"R07.9", "Chest pain, unspecified"},
	{"A41.9", "Sepsis, unspecified organism"},
	{"I50.9", "Heart failure, unspecified"},
	{"N17.9", "Acute kidney failure, unspecified"},
}

type analyte struct {
	loinc, name, unit string
	lo, hi            float64
	decimals          int
}

type panel struct {
	loinc, name string
	tests       []analyte
}

var panels = []panel{
	{"58410-2", "CBC panel - Blood by Automated count", []analyte{
		{"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 11.0, 1},
		{"789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 4.2, 5.9, 2},
		{"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.5, 1},
		{"4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 36, 50, 1},
		{"777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 400, 0},
	}},
	{"51990-0", "Basic metabolic panel - Blood", []analyte{
		{"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 136, 145, 0},
		{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 1},
		{"2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 98, 107, 0},
		{"2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", 22, 29, 0},
		{"3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 7, 20, 0},
		{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 2},
		{"2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 99, 0},
	}},
	{"57698-3", "Lipid panel with direct LDL - Serum or Plasma", []analyte{
		{"2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 125, 200, 0},
		{"2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", 40, 150, 0},
		{"2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 40, 80, 0},
		{"18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay", "mg/dL", 50, 130, 0},
	}},
	{"24362-6", "Renal function panel - Serum or Plasma", []analyte{
		{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 2},
		{"3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 7, 20, 0},
		{"17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 8.6, 10.3, 1},
		{"2777-1", "Phosphate [Mass/volume] in Serum or Plasma", "mg/dL", 2.5, 4.5, 1},
		{"1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 3.5, 5.0, 1},
	}},
}

// clinical note sentences without identifiers; some contain HL7 delimiters on
// purpose so that escaping is exercised.
var clinicalLines = []string{
	"Afebrile overnight, tolerating diet, ambulating with assistance.",
	"Lungs clear to auscultation bilaterally; no wheezes, rales or rhonchi.",
	"BP 132/84 & HR 88, SpO2 96% on room air.",
	"Plan: repeat CBC ~ BMP in the morning, continue IV fluids.",
	"Creatinine trending down (1.8 -> 1.3) | renal function improving.",
	"Abdomen soft, non-tender, non-distended, bowel sounds present.",
	"Continue metformin 500 mg PO BID ^ hold if NPO.",
	"Pain controlled on acetaminophen 650 mg q6h PRN.",
	"Echo: LVEF 45-50%, mild mitral regurgitation.",
	"Discussed risks, benefits and alternatives; questions answered.",
	"Wound clean, dry and intact without erythema or drainage.",
	"Follow up with primary care in 1-2 weeks; return precautions given.",
	"Chest X-ray: no acute cardiopulmonary process.",
	"Blood cultures x2 pending \\ no growth at 24 hours.",
}

var documentTypes = []struct{ code, name, loinc string }{
	{"DS", "Discharge Summary", "18842-5"},
	{"HP", "History and Physical", "34117-2"},
	{"PN", "Progress Note", "11506-3"},
	{"CN", "Consultation Note", "11488-4"},
}

var orderables = []struct{ code, name string }{
	{"24323-8", "Comprehensive metabolic panel"}, {"58410-2", "CBC panel"},
	{"36643-5", "XR Chest 2 Views"}, {"24627-2", "CT Chest"}, {"11524-6", "EKG study"},
}

var appointmentTypes = []struct{ code, name string }{
	{"FOLLOWUP", "Follow-up visit"}, {"NEWPT", "New patient visit"}, {"ANNUAL", "Annual physical"},
	{"PROC", "Procedure"},
}
