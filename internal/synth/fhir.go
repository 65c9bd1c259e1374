package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// obj is a JSON object that keeps its keys in insertion order, so output is
// deterministic and reads like hand-written FHIR (resourceType first).
type obj []kv

type kv struct {
	k string
	v any
}

// MarshalJSON implements json.Marshaler.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

type arr = []any

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("synth: " + err.Error())
	}
	return b
}

// uuid returns a random (seeded) version-4 UUID string.
func (g *Gen) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func fhirTime(t time.Time) string { return t.Format(time.RFC3339) }

func (g *Gen) patientResource(i int, p *Patient) obj {
	gender := "female"
	if p.Sex == "M" {
		gender = "male"
	}
	given := arr{p.Given}
	if p.Middle != "" {
		given = append(given, p.Middle)
	}
	return obj{
		{"resourceType", "Patient"},
		{"id", fmt.Sprintf("pat-%d", i)},
		{"identifier", arr{
			obj{{"use", "usual"}, {"type", obj{{"coding", arr{obj{{"system", "http://terminology.hl7.org/CodeSystem/v2-0203"}, {"code", "MR"}}}}}}, {"system", "urn:oid:2.16.840.1.113883.3.999.1"}, {"value", p.MRN}},
			obj{{"type", obj{{"coding", arr{obj{{"system", "http://terminology.hl7.org/CodeSystem/v2-0203"}, {"code", "SS"}}}}}}, {"system", "http://hl7.org/fhir/sid/us-ssn"}, {"value", p.SSN}},
		}},
		{"active", true},
		{"name", arr{obj{{"use", "official"}, {"family", p.Family}, {"given", given}}}},
		{"telecom", arr{
			obj{{"system", "phone"}, {"value", p.HomePhone}, {"use", "home"}},
			obj{{"system", "phone"}, {"value", p.CellPhone}, {"use", "mobile"}},
			obj{{"system", "email"}, {"value", p.Email}},
		}},
		{"gender", gender},
		{"birthDate", p.BirthDate.Format("2006-01-02")},
		{"address", arr{obj{{"use", "home"}, {"line", arr{p.Street}}, {"city", p.City}, {"state", p.State}, {"postalCode", p.Zip}, {"country", "US"}}}},
		{"contact", arr{obj{
			{"relationship", arr{obj{{"coding", arr{obj{{"system", "http://terminology.hl7.org/CodeSystem/v2-0131"}, {"code", "C"}}}}, {"text", relName(p.KinRelationship)}}}},
			{"name", obj{{"family", p.KinFamily}, {"given", arr{p.KinGiven}}}},
			{"telecom", arr{obj{{"system", "phone"}, {"value", p.KinPhone}}}},
		}}},
	}
}

func (g *Gen) encounterResource(id, patRef string, at time.Time) obj {
	d := g.provider()
	class := g.pick([]string{"IMP", "AMB", "EMER"})
	return obj{
		{"resourceType", "Encounter"},
		{"id", id},
		{"identifier", arr{obj{{"system", "urn:oid:2.16.840.1.113883.3.999.2"}, {"value", "V" + g.digits(9)}}}},
		{"status", "finished"},
		{"class", obj{{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", class}}},
		{"subject", obj{{"reference", patRef}}},
		{"participant", arr{obj{{"individual", obj{{"display", "Dr. " + d.given + " " + d.family}}}}}},
		{"period", obj{{"start", fhirTime(at.Add(-time.Duration(1+g.rng.IntN(72)) * time.Hour))}, {"end", fhirTime(at)}}},
	}
}

func (g *Gen) observationResource(id, patRef, encRef string, p *Patient, at time.Time) obj {
	pn := panels[g.rng.IntN(len(panels))]
	a := pn.tests[g.rng.IntN(len(pn.tests))]
	v := a.lo + g.rng.Float64()*(a.hi-a.lo)*1.2
	val, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', a.decimals, 64), 64)
	o := obj{
		{"resourceType", "Observation"},
		{"id", id},
		{"status", "final"},
		{"category", arr{obj{{"coding", arr{obj{{"system", "http://terminology.hl7.org/CodeSystem/observation-category"}, {"code", "laboratory"}}}}}}},
		{"code", obj{{"coding", arr{obj{{"system", "http://loinc.org"}, {"code", a.loinc}, {"display", a.name}}}}}},
		{"subject", obj{{"reference", patRef}}},
	}
	if encRef != "" {
		o = append(o, kv{"encounter", obj{{"reference", encRef}}})
	}
	o = append(o,
		kv{"effectiveDateTime", fhirTime(at)},
		kv{"valueQuantity", obj{{"value", val}, {"unit", a.unit}, {"system", "http://unitsofmeasure.org"}, {"code", a.unit}}},
		kv{"referenceRange", arr{obj{{"low", obj{{"value", a.lo}, {"unit", a.unit}}}, {"high", obj{{"value", a.hi}, {"unit", a.unit}}}}}},
		kv{"note", arr{obj{{"text", g.noteLine(p, at)}}}},
	)
	return o
}

func (g *Gen) conditionResource(id, patRef, encRef string, at time.Time) obj {
	d := diagnoses[g.rng.IntN(len(diagnoses))]
	o := obj{
		{"resourceType", "Condition"},
		{"id", id},
		{"clinicalStatus", obj{{"coding", arr{obj{{"system", "http://terminology.hl7.org/CodeSystem/condition-clinical"}, {"code", "active"}}}}}},
		{"code", obj{{"coding", arr{obj{{"system", "http://hl7.org/fhir/sid/icd-10-cm"}, {"code", d.code}, {"display", d.text}}}}, {"text", d.text}}},
		{"subject", obj{{"reference", patRef}}},
	}
	if encRef != "" {
		o = append(o, kv{"encounter", obj{{"reference", encRef}}})
	}
	return append(o, kv{"onsetDateTime", fhirTime(at.Add(-time.Duration(g.rng.IntN(24*365)) * time.Hour))}, kv{"recordedDate", fhirTime(at)})
}

// FHIRPatient returns a FHIR R4 Patient resource (JSON) for a pool patient.
func (g *Gen) FHIRPatient() []byte {
	g.tick()
	i, p := g.nextPatient()
	return mustJSON(g.patientResource(i, p))
}

// FHIRResource returns one FHIR R4 resource of type kind: "Patient",
// "Encounter", "Observation" or "Condition" (it panics on others). References
// point to "Patient/pat-<pool index>" and "Encounter/<id>".
func (g *Gen) FHIRResource(kind string) []byte {
	at := g.tick()
	i, p := g.nextPatient()
	patRef := fmt.Sprintf("Patient/pat-%d", i)
	switch kind {
	case "Patient":
		return mustJSON(g.patientResource(i, p))
	case "Encounter":
		return mustJSON(g.encounterResource("enc-"+g.digits(8), patRef, at))
	case "Observation":
		return mustJSON(g.observationResource("obs-"+g.digits(8), patRef, "", p, at))
	case "Condition":
		return mustJSON(g.conditionResource("cond-"+g.digits(8), patRef, "", at))
	}
	panic("synth: unknown FHIR resource type " + kind)
}

// FHIRBundle returns a FHIR R4 Bundle, alternately of type "collection" and
// "transaction"; see FHIRBundleType.
func (g *Gen) FHIRBundle() []byte {
	if g.seq%2 == 0 {
		return g.FHIRBundleType("collection")
	}
	return g.FHIRBundleType("transaction")
}

// FHIRBundleType returns a Bundle of the given type ("collection" or
// "transaction") holding one patient, an encounter, 2–6 observations and 1–2
// conditions. Entries reference each other through their fullUrl:
// "urn:uuid:..." in a transaction (with request POST entries), absolute
// "https://example.org/fhir/Type/id" URLs in a collection.
func (g *Gen) FHIRBundleType(typ string) []byte {
	at := g.tick()
	i, p := g.nextPatient()
	txn := typ == "transaction"
	var entries arr
	add := func(res obj, rtype, id string) string {
		full := "https://example.org/fhir/" + rtype + "/" + id
		if txn {
			full = "urn:uuid:" + g.uuid()
		}
		e := obj{{"fullUrl", full}, {"resource", res}}
		if txn {
			e = append(e, kv{"request", obj{{"method", "POST"}, {"url", rtype}}})
		}
		entries = append(entries, e)
		return full
	}
	pid := fmt.Sprintf("pat-%d", i)
	// the fullUrl must be known before the referencing resources are built
	pres := g.patientResource(i, p)
	patRef := add(pres, "Patient", pid)
	encID := "enc-" + g.digits(8)
	encRef := add(g.encounterResource(encID, patRef, at), "Encounter", encID)
	for n := 2 + g.rng.IntN(5); n > 0; n-- {
		id := "obs-" + g.digits(8)
		add(g.observationResource(id, patRef, encRef, p, at), "Observation", id)
	}
	for n := 1 + g.rng.IntN(2); n > 0; n-- {
		id := "cond-" + g.digits(8)
		add(g.conditionResource(id, patRef, encRef, at), "Condition", id)
	}
	return mustJSON(obj{
		{"resourceType", "Bundle"},
		{"id", g.uuid()},
		{"type", typ},
		{"timestamp", fhirTime(at)},
		{"entry", entries},
	})
}

// FHIRNDJSON returns n single resources of mixed types (Patient, Encounter,
// Observation, Condition), one JSON object per line, each line ending in "\n".
func (g *Gen) FHIRNDJSON(n int) []byte {
	kinds := []string{"Patient", "Encounter", "Observation", "Observation", "Condition"}
	var b []byte
	for range n {
		b = append(b, g.FHIRResource(kinds[g.rng.IntN(len(kinds))])...)
		b = append(b, '\n')
	}
	return b
}
