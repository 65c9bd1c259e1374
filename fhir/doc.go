// Package fhir reads FHIR R4 JSON losslessly and knows the FHIR type of every element.
//
// Parse builds a Value tree that keeps member order, number literals and
// string escapes, so unknown elements and untouched values survive a
// round trip through AppendJSON. The generated type table (types_gen.go,
// derived from github.com/samply/golang-fhir-models by go generate) maps
// every element of every resource, datatype and backbone element to its
// FHIR type; ElementType and IsResourceType query it. Walk visits every
// element of a resource with that type, descending into contained and
// bundled resources, and lets the caller rewrite or remove elements in
// place. SplitNDJSON and NDJSONReader split Bulk Data NDJSON files.
//
// Errors carry byte offsets and JSON paths only, never input content.
package fhir
