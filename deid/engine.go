package deid

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/safeharbor/safeharbor/deid/text"
)

// Profile selects how dates are treated.
type Profile uint8

// Profiles.
const (
	// SafeHarbor reduces dates to the year: HIPAA Safe Harbor, the default.
	SafeHarbor Profile = iota
	// Shift moves every date of a patient by a keyed per-patient offset,
	// keeping intervals. It is NOT Safe Harbor (it needs an expert
	// determination), must be chosen explicitly, and is labelled in the output.
	Shift
)

// String returns the profile's name as used in flags and provenance.
func (p Profile) String() string {
	if p == Shift {
		return "shift"
	}
	return "safe-harbor"
}

// ParseProfile reads a profile name.
func ParseProfile(s string) (Profile, error) {
	switch s {
	case "", "safe-harbor":
		return SafeHarbor, nil
	case "shift":
		return Shift, nil
	}
	return 0, fmt.Errorf("deid: unknown profile %q (want safe-harbor or shift)", s)
}

// Version identifies the de-identification rules of this engine; it is
// recorded in the provenance of every output.
const Version = "deid-1"

// Config configures an Engine.
type Config struct {
	// Key is the secret key (≥ 32 bytes) behind pseudonyms and date shifts.
	Key []byte
	// Profile is SafeHarbor unless Shift is chosen explicitly.
	Profile Profile
	// RestrictedZIP3 lists 3-digit ZIP areas that become "000"; nil means DefaultRestrictedZIP3.
	RestrictedZIP3 []string
	// KeepZSegments lists Z-segment names kept as they are (they are dropped by default).
	KeepZSegments []string
	// AllowExtensions lists FHIR extension URLs kept (others are dropped);
	// nil means DefaultAllowedExtensions.
	AllowExtensions []string
	// UnknownResources says what happens to FHIR resources of a type that is
	// not FHIR R4 (STU3-only, custom): UnknownRefuse ("" or "refuse", the
	// default) fails the input with ErrUnknownResource; UnknownGeneric
	// de-identifies them generically and labels them so (see deid-fhir.md).
	UnknownResources string
	// AllowElements lists FHIR elements unknown to the R4 type table that
	// are kept (as free text), as "Type.element" ("Patient.favoriteColour");
	// every other unknown element is dropped.
	AllowElements []string
	// RulesVersion names the integrator rules in force, recorded in provenance.
	RulesVersion string
	// Now returns the reference time for ages when a message carries no date; time.Now when nil.
	Now func() time.Time
}

// Engine de-identifies HL7v2 messages, FHIR resources and free text. It is
// safe for concurrent use.
type Engine struct {
	cfg        Config
	pseudo     *Pseudonymizer
	shiftKey   []byte
	restricted map[string]bool
	keepZ      map[string]bool
	allowExt   map[string]bool
	fhirPol    fhirPolicy
	scrubber   *text.Scrubber
	work       sync.Pool
}

// ErrConfig is wrapped by configuration errors from New.
var ErrConfig = errors.New("deid: invalid configuration")

// New builds an Engine.
func New(cfg Config) (*Engine, error) {
	if len(cfg.Key) < MinKeyLen {
		return nil, fmt.Errorf("%w: key must be at least %d bytes (there is no default key)", ErrConfig, MinKeyLen)
	}
	if cfg.Profile > Shift {
		return nil, fmt.Errorf("%w: unknown profile", ErrConfig)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Engine{
		cfg:        cfg,
		pseudo:     NewPseudonymizer(cfg.Key),
		shiftKey:   deriveKey(cfg.Key, "safeharbor/date-shift/v1"),
		restricted: map[string]bool{},
		keepZ:      map[string]bool{},
		allowExt:   map[string]bool{},
		scrubber:   text.New(text.Options{}),
	}
	zips := cfg.RestrictedZIP3
	if zips == nil {
		zips = DefaultRestrictedZIP3
	}
	for _, z := range zips {
		if len(z) != 3 || !digits(z) {
			return nil, fmt.Errorf("%w: restricted ZIP3 %q is not three digits", ErrConfig, z)
		}
		e.restricted[z] = true
	}
	for _, z := range cfg.KeepZSegments {
		if len(z) != 3 || z[0] != 'Z' {
			return nil, fmt.Errorf("%w: %q is not a Z-segment name", ErrConfig, z)
		}
		e.keepZ[z] = true
	}
	exts := cfg.AllowExtensions
	if exts == nil {
		exts = DefaultAllowedExtensions
	}
	for _, u := range exts {
		e.allowExt[u] = true
	}
	if err := e.fhirPol.init(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// Profile returns the engine's profile.
func (e *Engine) Profile() Profile { return e.cfg.Profile }

// Pseudonymizer returns the engine's pseudonymizer (for rules helpers and the vault).
func (e *Engine) Pseudonymizer() *Pseudonymizer { return e.pseudo }

// Text scrubs a plain-text document (no structured part): PHI is replaced
// by category tags. It appends to dst.
func (e *Engine) Text(dst, doc []byte, rep *Report) []byte {
	var c text.Counts
	dst = e.scrubber.Scrub(dst, doc, nil, &c)
	rep.addScrubbed(&c)
	if rep != nil {
		rep.Messages++
	}
	return dst
}

// Result describes one de-identified message or resource.
type Result struct {
	// Pseudonym is the patient pseudonym (the ID pseudonym of the patient's
	// primary identifier), or "" when the input names no patient identifier.
	Pseudonym string
	// Type is "ADT^A01" for HL7v2, the resourceType for FHIR ("Resource" for a
	// type outside FHIR R4 treated generically).
	Type string
	// Over90 reports that the patient is 90 or older (birth year removed).
	Over90 bool
}

// DefaultAllowedExtensions are FHIR extensions kept by default: US Core race,
// ethnicity and birth sex, which Safe Harbor permits and analysts need.
var DefaultAllowedExtensions = []string{
	"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
	"http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
	"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
}
