package deid

// DateShift returns the number of days the shift profile moved the dates of
// the message or resource behind res (the same offset the engine applied),
// and false under Safe Harbor. The output leak guard uses it to tell a
// shifted date from an original one.
func (e *Engine) DateShift(res Result) (days int, ok bool) {
	if e.cfg.Profile != Shift {
		return 0, false
	}
	return shiftDays(e.shiftKey, res.Pseudonym), true
}
