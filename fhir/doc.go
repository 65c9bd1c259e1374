// Package fhir reads FHIR R4 JSON losslessly and knows the FHIR type of every element.
package fhir
