package deid_test

import (
	"errors"
	"fmt"

	"github.com/safeharbor/safeharbor/deid"
	"github.com/safeharbor/safeharbor/fhir"
)

// ExampleEngine_FHIR de-identifies a FHIR resource in place; a resource
// type outside FHIR R4 is refused (fail closed) with the JSON path.
func ExampleEngine_FHIR() {
	e, err := deid.New(deid.Config{Key: []byte("an example key only, at least 32 bytes long!")})
	if err != nil {
		panic(err)
	}
	v, _ := fhir.Parse([]byte(`{"resourceType":"Condition","code":{"text":"COVID-19"},"onsetDateTime":"2021-03-14",
		"subject":{"reference":"Patient/p1","display":"Zyxwvut Quimbleton"}}`))
	if _, err := e.FHIR(v, nil); err != nil {
		panic(err)
	}
	fmt.Println(v.Get("code"), v.Get("onsetDateTime"), v.Get("subject").Get("display") == nil)

	stu3, _ := fhir.Parse([]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"ProcedureRequest"}}]}`))
	_, err = e.FHIR(stu3, nil)
	fmt.Println(errors.Is(err, deid.ErrUnknownResource), err)
	// Output:
	// {"text":"COVID-19"} "2021" true
	// true deid: unknown FHIR resource type (not FHIR R4) (at entry[0].resource)
}
