package gen

// The models give every FHIR string-like primitive the Go type string and
// every integer-like primitive int, with no comment saying which FHIR
// primitive it was. Choice elements recover it from their key suffix
// (deceasedDateTime); for the rest these lists, written from the FHIR R4
// element definitions, restore it: keyOverrides by element name, and
// pathOverrides ("Type.key") for the exceptions. Everything else stays
// "string" or "integer". Dates, times, URIs and binary data are covered
// exhaustively since de-identification depends on them; string vs markdown
// and integer vs positiveInt are best effort.

// primitiveOverride returns the FHIR primitive type of a non-choice element
// whose Go type (string or int) loses the distinction, or def.
func primitiveOverride(typeName, key, def string) string {
	if t, ok := pathOverrides[typeName+"."+key]; ok {
		return t
	}
	if def == "string" {
		if t, ok := keyOverrides[key]; ok {
			return t
		}
	}
	if def == "integer" {
		if t, ok := intKeyOverrides[key]; ok {
			return t
		}
	}
	return def
}

var keyOverrides = map[string]string{
	// dates and times
	"date": "dateTime", "approvalDate": "date", "lastReviewDate": "date", "birthDate": "date",
	"internationalBirthDate": "dateTime", "dateOfFirstAuthorization": "dateTime",
	"recordedDate": "dateTime", "recorded": "instant", "created": "dateTime",
	"start": "dateTime", "end": "dateTime", "time": "dateTime", "creation": "dateTime",
	"lastModified": "instant", "timestamp": "instant", "lastUpdated": "instant", "issued": "instant",
	"authoredOn": "dateTime", "authored": "dateTime", "sent": "dateTime", "received": "dateTime",
	"started": "dateTime", "statusDate": "dateTime", "expirationDate": "dateTime",
	"manufactureDate": "dateTime", "enteredDate": "dateTime", "dateAsserted": "dateTime",
	"dateWritten": "dateTime", "dateTime": "dateTime", "whenPrepared": "dateTime",
	"whenHandedOver": "dateTime", "recordedOn": "dateTime", "receivedTime": "dateTime",
	"effectiveTime": "dateTime", "paymentDate": "dateTime", "publicationDate": "dateTime",
	"presentationDate": "dateTime", "restoreDate": "dateTime", "effectiveDate": "dateTime",
	"validTo": "dateTime", "expiry": "dateTime", "lockedDate": "date", "releaseDate": "dateTime",
	"verificationDate": "dateTime", "lastPerformed": "dateTime", "nextScheduled": "date",
	"validationDate": "dateTime", "when": "instant", "availableStartTime": "time",
	"availableEndTime": "time", "openingTime": "time", "closingTime": "time", "timeOfDay": "time",
	"ifModifiedSince": "instant",
	// identifiers, URIs and canonicals
	"implicitRules": "uri", "url": "uri", "system": "uri", "fullUrl": "uri", "uri": "uri",
	"profile": "canonical", "valueSet": "canonical", "library": "canonical",
	"targetProfile": "canonical", "derivedFrom": "canonical", "baseDefinition": "canonical",
	"contentReference": "uri", "replaces": "canonical", "supplements": "canonical",
	"imports": "canonical", "questionnaire": "canonical", "instantiates": "canonical",
	"instantiatesCanonical": "canonical", "instantiatesUri": "uri", "endpoint": "url",
	"answerValueSet": "canonical", "inputProfile": "canonical", "outputProfile": "canonical",
	"compartment": "canonical", "supportedProfile": "canonical", "searchInclude": "string",
	"versionId": "id", "uid": "id", "location": "uri",
	// codes and text
	"language": "code", "code": "code", "contentType": "code", "status": "code", "intent": "code",
	"priority": "code", "currency": "code", "payloadMimeType": "code", "format": "code",
	"copyright": "markdown", "purpose": "markdown", "documentation": "markdown",
	"usage": "markdown", "requirements": "markdown", "comment": "string",
	// binary and narrative
	"data": "base64Binary", "hash": "base64Binary", "div": "xhtml",
}

var intKeyOverrides = map[string]string{
	"sequence": "positiveInt", "careTeamSequence": "positiveInt", "diagnosisSequence": "positiveInt",
	"informationSequence": "positiveInt", "procedureSequence": "positiveInt",
	"itemSequence": "positiveInt", "detailSequence": "positiveInt",
	"subDetailSequence": "positiveInt", "subdetailSequence": "positiveInt",
	"supportingInfoSequence": "positiveInt", "noteNumber": "positiveInt", "rank": "positiveInt",
	"securityLabelNumber": "unsignedInt", "count": "positiveInt", "countMax": "positiveInt",
	"frequency": "positiveInt", "frequencyMax": "positiveInt", "offset": "unsignedInt",
	"size": "unsignedInt", "total": "unsignedInt", "numberOfSeries": "unsignedInt",
	"numberOfInstances": "unsignedInt", "numberOfRepeatsAllowed": "unsignedInt",
	"min": "unsignedInt", "minutesDuration": "positiveInt", "priority": "unsignedInt",
	"frames": "positiveInt", "height": "positiveInt", "width": "positiveInt",
	"reliableCache": "unsignedInt", "limit": "positiveInt", "dimensions": "positiveInt",
	"order": "positiveInt", "precedence": "positiveInt", "number": "unsignedInt",
}

var pathOverrides = map[string]string{
	// dates that differ from the key default
	"ClaimResponse.payment.date":          "date",
	"ExplanationOfBenefit.payment.date":   "date",
	"PaymentReconciliation.detail.date":   "date",
	"Claim.accident.date":                 "date",
	"ExplanationOfBenefit.accident.date":  "date",
	"VerificationResult.attestation.date": "date",
	"Basic.created":                       "date",
	"Immunization.recorded":               "dateTime",
	"Immunization.expirationDate":         "date",
	"Appointment.start":                   "instant",
	"Appointment.end":                     "instant",
	"AppointmentResponse.start":           "instant",
	"AppointmentResponse.end":             "instant",
	"Slot.start":                          "instant",
	"Slot.end":                            "instant",
	"Subscription.end":                    "instant",
	"DeviceMetric.calibration.time":       "instant",
	"Task.lastModified":                   "dateTime",
	"ValueSet.expansion.timestamp":        "dateTime",
	"CatalogEntry.lastUpdated":            "dateTime",
	"Contract.issued":                     "dateTime",
	"Contract.term.issued":                "dateTime",
	"TestReport.issued":                   "dateTime",
	"Goal.statusDate":                     "date",
	"PaymentNotice.paymentDate":           "date",
	"Timing.repeat.when":                  "code",
	"GuidanceResponse.occurrenceDateTime": "dateTime",
	"ImmunizationRecommendation.recommendation.dateCriterion.value": "dateTime",
	// URIs and friends that differ from the key default
	"Attachment.url":                                            "url",
	"CapabilityStatement.implementation.url":                    "url",
	"TerminologyCapabilities.implementation.url":                "url",
	"MolecularSequence.repository.url":                          "uri",
	"RelatedArtifact.url":                                       "url",
	"Endpoint.address":                                          "url",
	"CapabilityStatement.messaging.endpoint.address":            "url",
	"MedicationAdministration.instantiates":                     "uri",
	"NutritionOrder.instantiates":                               "uri",
	"ConceptMap.group.source":                                   "uri",
	"ConceptMap.group.target":                                   "uri",
	"ConceptMap.group.unmapped.url":                             "canonical",
	"Questionnaire.item.definition":                             "uri",
	"QuestionnaireResponse.item.definition":                     "uri",
	"ElementDefinition.mapping.identity":                        "id",
	"StructureDefinition.mapping.identity":                      "id",
	"StructureDefinition.mapping.uri":                           "uri",
	"CapabilityStatement.messaging.supportedMessage.definition": "canonical",
	"CapabilityStatement.rest.operation.definition":             "canonical",
	"CapabilityStatement.rest.searchParam.definition":           "canonical",
	"SearchParameter.component.definition":                      "canonical",
	"MessageHeader.definition":                                  "canonical",
	"Measure.definition":                                        "markdown",
	"ElementDefinition.definition":                              "markdown",
	"ElementDefinition.constraint.source":                       "canonical",
	"Meta.source":                                               "uri",
	"DocumentManifest.source":                                   "uri",
	"Expression.reference":                                      "uri",
	"DetectedIssue.reference":                                   "uri",
	"Immunization.education.reference":                          "uri",
	"Bundle.entry.request.url":                                  "uri",
	"OperationOutcome.issue.location":                           "string",
	"Bundle.entry.response.location":                            "uri",
	"Bundle.entry.response.status":                              "string",
	"Annotation.text":                                           "markdown",
	"Identifier.value":                                          "string",
	"ContactPoint.value":                                        "string",
	"Coding.version":                                            "string",
	"Resource.id":                                               "id",
	"Reference.reference":                                       "string",
	"Quantity.unit":                                             "string",
	"Narrative.div":                                             "xhtml",
	"Signature.sigFormat":                                       "code",
	"Signature.targetFormat":                                    "code",
	"Signature.data":                                            "base64Binary",
	"Binary.data":                                               "base64Binary",
	"Attachment.data":                                           "base64Binary",
	"Attachment.hash":                                           "base64Binary",
	"Attachment.size":                                           "unsignedInt",
	"SampledData.data":                                          "string",
	"TestScript.setup.action.operation.url":                     "string",
	"TestScript.metadata.link.url":                              "uri",
	"Contract.url":                                              "uri",
	"Device.url":                                                "uri",
	"DeviceDefinition.url":                                      "uri",
	"CodeSystem.concept.definition":                             "string",
	"CodeSystem.count":                                          "unsignedInt",
	"MolecularSequence.coordinateSystem":                        "integer",
	"ElementDefinition.maxLength":                               "integer",
	"Questionnaire.item.maxLength":                              "integer",
	"ImagingStudy.series.instance.number":                       "unsignedInt",
	"ImagingStudy.series.number":                                "unsignedInt",
	"ContactPoint.rank":                                         "positiveInt",
	"Coverage.order":                                            "positiveInt",
	"Account.coverage.priority":                                 "positiveInt",
}
