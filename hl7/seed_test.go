package hl7

import (
	"errors"
	"testing"
)

// seedTB lets corpus helpers run while fuzz seeds are collected, outside a test.
type seedTB struct{ testing.TB }

func (seedTB) Helper()                {}
func (seedTB) Skipf(string, ...any)   { panic("skip") }
func (seedTB) Fatal(...any)           { panic("fatal") }
func (seedTB) Fatalf(string, ...any)  { panic("fatal") }
func errorsIs(err, target error) bool { return errors.Is(err, target) }
