package evalset

// traps are non-PHI phrases that look like PHI to a naive detector:
// ventilator settings, ranges and fractions that look like dates,
// capitalised or all-caps clinical words after cues, number + caps words +
// street-suffix-like words, the "ID:" section header, clock times, eponyms.
var traps = []string{
	"On CPAP 5/5, tolerating well.", "Weaned to PSV 10/5 overnight.", "Vent: PS 12/5/40%, RR 18.",
	"AC 500x14/5/40% with PEEP 5.", "Placed back on CPAP {=5/5|8/5|10/5} at {time}.",
	"Coughing 6-8 times per hour.", "On 4-5 L NC, sats 94%.", "Pain rated 7 on a scale 1-10.",
	"Pain {=3|4|6}/10, relieved with tylenol.", "Voids 2-3x per shift.", "Hydromorphone 0.5 mg IV q4-6h prn.",
	"IVF: D5 1/2 NS at 75 cc/hr.", "Slept 3 1/2 hours.", "Take 1/2 tab at bedtime.", "Symptoms for 2 1/2 weeks.",
	"pt. Alert and oriented x3.", "Patient. Denies pain.", "pt. Calm and cooperative.",
	"Seen by Neuro, recs appreciated.", "Seen by RT, nebs given.", "Per Renal, continue HD.", "Per PT/OT, needs rehab.",
	"Seen by GI today.", "Per Cards, hold beta blocker.",
	"ON NIPRIDE GTT.", "PT WITH APHASIA, FOLLOWS COMMANDS.", "ON HEPARIN GTT PER PROTOCOL.", "STARTED ON LASIX 40 IV.",
	"3 WAY FOLEY IN PLACE, CBI RUNNING.", "N TO ST.", "2 PIV IN PLACE.", "18 G IV L FA.", "NGT TO LWS.",
	"20 FR FOLEY DRAINING CLEAR URINE.", "1 UNIT PRBC GIVEN.",
	"ID: on vanc/zosyn, f/u cultures.", "ID - afebrile, WBC trending down.",
	"Labs drawn at {time}.", "Meds given @ {time}.", "Vitals at {time}: BP 128/76, HR 88, RR 16, T 98.6, SpO2 97% RA.",
	"Strength 5/5 throughout, 3/5 LLE.", "Grade 2/6 systolic murmur.", "Apgar 8/9.", "ABG 7.32/45/88.",
	"Foley d/c'd, voiding.", "Hx Parkinson's disease.", "Murphy's sign negative.", "Bell's palsy resolved.",
	"Crohn's disease, stable on Humira.", "Glasgow coma scale 15.", "Babinski downgoing.", "Graves disease on methimazole.",
	"Transfer to ICU for pressors.", "Transferred from ED.", "Admitted to MICU.", "Transferred from OSH.",
	"Wife at bedside.", "DAUGHTER AT BEDSIDE, UPDATED.", "Son updated by phone.", "Lives at home with wife.",
	"Lives in a group home.", "Lives alone, independent in ADLs.", "Hgb 8.2, INR 2.3, Cr 1.4 (baseline 1.1).",
	"K 3.2, repleted with 40 mEq KCl.", "Na 138, K 4.1, Cl 101, CO2 24, BUN 18, Cr 0.9, glucose 112.",
	"ICD-10 I50.9.", "CPT 99213.", "Troponin <0.01 x2.", "Will follow.", "Hope to wean today.", "Will ambulate with PT.",
}

// filler is clinical text without PHI.
var filler = []string{
	"Lungs clear to auscultation bilaterally.", "Heart regular rate and rhythm, no murmurs.",
	"Abdomen soft, non-tender, non-distended, +BS.", "Extremities without edema.", "Skin warm and dry, intact.",
	"Tolerating regular diet.", "Ambulating with walker and assist x1.", "Denies chest pain, SOB, nausea.",
	"Continue metoprolol 25 mg PO BID.", "Continue lisinopril 10 mg daily.", "Insulin sliding scale with meals.",
	"Plan: continue current management, reassess in AM.", "Blood cultures pending.", "Wound dressing changed, no drainage.",
	"Neuro checks q4h, unchanged.", "Fall precautions in place.", "Incentive spirometer encouraged.",
	"Reports good appetite.", "Urine output adequate.", "Plan discussed with team.", "No acute distress.",
	"CXR with mild bibasilar atelectasis.", "Afebrile overnight.", "Heparin SQ for DVT prophylaxis.",
	"Started ceftriaxone 1 g IV daily.", "Diuresed 1.5 L net negative.", "A1c 7.8%.", "TSH within normal limits.",
}

type style struct {
	name  string
	build func(g *gen)
}

var styles = []style{
	{"discharge", discharge}, {"nursing", nursing}, {"radiology", radiology},
	{"lab", labComment}, {"nte", nteMessage}, {"phone", telephone},
}

func discharge(g *gen) {
	g.line([]string{"DISCHARGE SUMMARY", "Discharge Summary", "DISCHARGE SUMMARY - {hosp}"})
	g.line([]string{"Patient: {pt}   {mrn}", "Name: {pt}\nDOB: {dob}   {mrn}", "PATIENT NAME: {pt}  {acct}"})
	g.line([]string{"Admission Date: {date}   Discharge Date: {date}", "Admitted: {date}\nDischarged: {date}"})
	g.line([]string{"Attending: {dr}", "Attending physician: {dr}   PCP: {dr}"})
	g.lit("\nHISTORY OF PRESENT ILLNESS:\n")
	g.line([]string{
		"{pt} is a {age} yo {sex} with CHF, DM2 and CKD who presents with dyspnea.",
		"{pt} is a {age90} yo {sex} s/p hip fx {event}, admitted from {hosp2}.",
		"{ptF} is a {age90} year old {sex} with afib on coumadin, {event}.",
		"This is a {age90}-year-old {sex} with COPD, CABG {apyear}, stent {my}, who was {event}.",
		"{title} is a {age} year old {sex} with HTN transferred from {hosp} for NSTEMI.",
		"{age90} s/p fall at home, found by {kin} on {md}.",
	})
	g.some(append(append([]string{}, filler...), "{trap}", "{trap}"), 2, 4, " ")
	g.lit("\n\nHOSPITAL COURSE:\n")
	g.some([]string{"{event}, tolerated well.", "Pt {event} and did well.", "{md} pt with rapid afib, started on dilt.",
		"Seen by {dr} on {md}.", "{trap}", "{trap}", "{filler}", "{filler}", "Family meeting with {kin} and {kin} on {date}.",
		"{kinlist} visited daily.", "Cultures from {pmd} grew E. coli.", "Transfer to {hosp} was discussed with {kin}."}, 3, 6, " ")
	g.lit("\n\nSOCIAL HISTORY: ")
	g.line([]string{"Lives in {town} with {kin}. Retired {prof}.", "Lives with {kin} at\n{addr}\nHome phone {phone}.",
		"Originally from {country}, moved to {town} in {year}. Works as a {prof}.", "Resident of {town}, {state}. {kinlist} nearby.",
		"Lives alone in {town}; {kin} checks on {his} daily."})
	g.lit("\nDISPOSITION: ")
	g.line([]string{"Discharged to {hosp2}.", "Home with VNA of {town}.", "Discharged home with {kin}.", "To rehab at {hosp2} on {date}."})
	g.lit("FOLLOW-UP: ")
	g.line([]string{"{dr} in 1-2 weeks, call {phone}.", "PCP {dr} ({phone}), fax {fax}.", "Call {phone} to schedule; {pager}.",
		"Cardiology at {hosp} on {date} at {time}."})
}

func nursing(g *gen) {
	if g.chance(0.4) {
		g.casing = 1
	} else if g.chance(0.15) {
		g.casing = 2
	}
	g.line([]string{"NURSING NOTE {time}", "{pt} is a {age} yr old {sex} admitted with sepsis.", "Nursing Progress Note", "RN NOTE 7A-7P", "Nsg note {md}"})
	g.some([]string{
		"Neuro: {trap} {filler}", "Resp: {trap} {trap}", "CV: {filler} {trap}", "GI/GU: {trap} {filler}",
		"Social: {kin} at bedside, updated on plan.", "Social: {kinlist} called, updated.", "{kin} called at {time}, can be reached at {phone}.",
		"{md} Pt had episode of hypotension, bolused 500 cc.", "{title} resting comfortably.", "{pt} OOB to chair.",
		"Spoke with {kin} re: transfer to {hosp}.", "Pt {event}.", "Pt's {kin} requesting update, {pager} paged.",
		"Plan for transfer to {hosp2} tomorrow.", "ID: {filler}", "{trap}", "{filler}", "Family from {town} here for visit.",
		"{age90} yo, A&Ox2, {trap}", "{dr} aware. {trap}", "RN {staff} covering at {time}.",
	}, 5, 9, "\n")
}

func radiology(g *gen) {
	if g.chance(0.25) {
		g.casing = 1
	}
	g.line([]string{"RADIOLOGY REPORT", "EXAM: CT CHEST W/O CONTRAST", "EXAM: CXR PA/LAT", "MRI BRAIN W/WO"})
	g.line([]string{"Patient: {pt}  {mrn}  DOB: {dob}", "Name: {pt}\nAccession: {accession}  {mrn}"})
	g.line([]string{"Date of exam: {date} {time}", "Exam date: {date}"})
	g.line([]string{"Comparison: {md}.", "COMPARISON: {date}, outside study from {hosp2}.", "Comparison: none.", "Comparison: CT {my}."})
	g.lit("FINDINGS: ")
	g.some([]string{"No focal consolidation.", "Mild cardiomegaly.", "Small left pleural effusion.", "Degenerative changes of the spine.",
		"Stable 4 mm RUL nodule since {md}.", "ETT 4 cm above the carina.", "Sternotomy wires from CABG {apyear}.", "{filler}"}, 2, 4, " ")
	g.lit("\nIMPRESSION: ")
	g.line([]string{"No acute process.", "Findings discussed with {dr} at {time} on {md} by phone {phone}.",
		"Results called to {staff}, RN, {pager}, at {time}.", "Increased effusion compared with {date}."})
	g.line([]string{"Dictated by: {dr}", "Electronically signed: {dr} {date} {time}", "Read by {dr}, {hosp}"})
}

func labComment(g *gen) {
	g.some([]string{
		"Critical value K 6.2 called to {staff} RN at {time} on {md}, read back.",
		"Specimen received {date} {time}. Hemolyzed, recollect.", "Specimen collected {date}.",
		"Result verified by {dr}. Contact lab at {phone} with questions.", "Outside result from {hosp2} dated {date}.",
		"Patient {pt}, {mrn}, DOB {dob}: identity confirmed x2.", "INR 3.4 called to {dr} at {time}.", "{trap}", "{filler}",
		"Sample sent to reference lab ({hosp2}), fax {fax}.", "Corrected report: previously reported on {md} in error.",
	}, 2, 4, "\n")
}

func nteMessage(g *gen) {
	g.casing = 0
	g.some([]string{
		"Pt {hl7name} called re refill\\.br\\", "PT \\H\\{ptL}\\N\\ TO F/U IN 2 WKS\\.br\\", "Spoke with {kin}\\.br\\",
		"{trap}\\.br\\", "Call back {phone}\\.br\\", "Seen {md}, next appt {date}\\.br\\", "{hl7name} DOB {dob}\\.br\\",
		"Transfer to {hosp} requested\\.br\\", "Pt lives in {town}\\.br\\", "{filler}\\.br\\", "email {email}\\.br\\",
	}, 2, 5, "")
	g.lit("\n")
}

func telephone(g *gen) {
	if g.chance(0.2) {
		g.casing = 2
	}
	g.line([]string{"TELEPHONE ENCOUNTER {date} {time}", "Phone call", "Telephone Encounter"})
	g.some([]string{
		"Caller: {kin}. States \"My name is {other}, I am calling about my {=mother|father|husband|wife}.\"",
		"My name is {pt} and I need a refill of my lisinopril.", "Pt called from {phone}, requesting call back.",
		"Spoke with {ptF} who reports fever x2 days.", "{pt} called stating {he} fell {md}.", "Callback number: {phone}.",
		"{kin} called; {he} is now living with {his} {=son|daughter} in {town}.", "Advised to go to ED at {hosp} if worse.",
		"Left message for {title} at {phone}.", "Pharmacy at {phone}, fax {fax}.", "Pt's email {email}; portal login from {ip}.",
		"Verified identity with DOB {dob} and {ssn}.", "{trap}", "{filler}", "Insurance {hp}, {acct}.", "Pacemaker serial {device}.",
		"{license} noted on parking pass.", "Family blog at {url}.", "Message routed to {dr}.", "{kinlist} will bring pt to appt on {date}.",
		"Pt is {age90} and lives in {county}.",
	}, 3, 6, "\n")
}
