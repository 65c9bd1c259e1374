package hl7

import (
	"strconv"
	"sync/atomic"
	"time"
)

// AckCode is an MSA-1 acknowledgment code.
type AckCode string

// Acknowledgment codes: original mode (AA/AE/AR) and enhanced-mode accept
// acknowledgments (CA/CE/CR).
const (
	AA AckCode = "AA" // application accept
	AE AckCode = "AE" // application error
	AR AckCode = "AR" // application reject
	CA AckCode = "CA" // commit accept
	CE AckCode = "CE" // commit error
	CR AckCode = "CR" // commit reject
)

// Outcome is what happened to a received message.
type Outcome int

// Outcomes for NewACK.
const (
	Accepted Outcome = iota // stored
	Errored                 // could not be stored now; the sender should retry
	Rejected                // will never be accepted (not HL7v2, unsupported)
)

// AckOptions tune the acknowledgment.
type AckOptions struct {
	// SendingApp and SendingFacility name us in MSH-3/MSH-4 of the ACK; when
	// empty, the original's receiving application/facility are used.
	SendingApp, SendingFacility string
	// ErrorCode is ERR-3.1 from HL7 table 0357 (e.g. "207" application
	// internal error, "200" unsupported message type); ErrorText is ERR-8.
	// Both must be fixed texts that carry no message content.
	ErrorCode, ErrorText string
	// ControlID is MSH-10 of the ACK; a unique one is generated when empty.
	ControlID string
	// Now is the ACK time (MSH-7); time.Now when zero.
	Now time.Time
}

var ackSeq atomic.Uint64

// ShouldAck reports, for an original message and an outcome, whether an
// acknowledgment is to be sent and with which code. A message in original
// mode (MSH-15 and MSH-16 empty) always gets AA/AE/AR. In enhanced mode the
// accept acknowledgment (CA/CE/CR) follows MSH-15: AL always, NE never, ER
// only on error or reject, SU only on success.
func ShouldAck(orig *Message, out Outcome) (AckCode, bool) {
	var accept, app string
	if orig != nil {
		msh := orig.Segment(0)
		accept = orig.Unescape(msh.Field(15))
		app = orig.Unescape(msh.Field(16))
	}
	if accept == "" && app == "" {
		return [...]AckCode{AA, AE, AR}[out], true
	}
	code := [...]AckCode{CA, CE, CR}[out]
	switch accept {
	case "NE":
		return code, false
	case "ER":
		return code, out != Accepted
	case "SU":
		return code, out == Accepted
	}
	return code, true
}

// NewACK builds an acknowledgment for orig with the given code. It uses the
// original's delimiters and version, swaps sending and receiving
// application/facility, echoes MSH-10 in MSA-2, and adds an ERR segment for
// non-accept codes. orig may be nil (a message that could not be parsed):
// the ACK then uses the default delimiters and an empty MSA-2.
func NewACK(orig *Message, code AckCode, opts AckOptions) []byte {
	d := DefaultDelims
	var sApp, sFac, rApp, rFac, event, ctl, proc, ver []byte
	if orig != nil {
		d = orig.delims
		msh := orig.Segment(0)
		sApp, sFac = msh.Field(5), msh.Field(6)
		rApp, rFac = msh.Field(3), msh.Field(4)
		event = Nth(Nth(msh.Field(9), d.Repetition, 1), d.Component, 2)
		ctl = msh.Field(10)
		proc = msh.Field(11)
		ver = msh.Field(12)
	}
	esc := func(b []byte, s string) []byte {
		out, ok := d.AppendEscaped(b, s)
		if !ok {
			return b
		}
		return out
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if len(proc) == 0 {
		proc = []byte("P")
	}
	if len(ver) == 0 {
		ver = []byte("2.5.1")
	}
	f := d.Field
	b := make([]byte, 0, 256)
	b = append(b, "MSH"...)
	b = append(b, f)
	b = append(b, d.EncodingChars()...)
	b = append(b, f)
	if opts.SendingApp != "" {
		b = esc(b, opts.SendingApp)
	} else {
		b = append(b, sApp...)
	}
	b = append(b, f)
	if opts.SendingFacility != "" {
		b = esc(b, opts.SendingFacility)
	} else {
		b = append(b, sFac...)
	}
	b = append(b, f)
	b = append(b, rApp...)
	b = append(b, f)
	b = append(b, rFac...)
	b = append(b, f)
	b = now.UTC().AppendFormat(b, "20060102150405")
	b = append(b, "+0000"...)
	b = append(b, f, f)
	b = append(b, "ACK"...)
	if len(event) > 0 && d.Component != 0 {
		b = append(b, d.Component)
		b = append(b, event...)
		b = append(b, d.Component)
		b = append(b, "ACK"...)
	}
	b = append(b, f)
	if opts.ControlID != "" {
		b = esc(b, opts.ControlID)
	} else {
		b = append(b, "ACK"...)
		b = strconv.AppendInt(b, now.UnixNano(), 36)
		b = append(b, '.')
		b = strconv.AppendUint(b, ackSeq.Add(1), 36)
	}
	b = append(b, f)
	b = append(b, proc...)
	b = append(b, f)
	b = append(b, ver...)
	b = append(b, '\r')
	b = append(b, "MSA"...)
	b = append(b, f)
	b = append(b, code...)
	b = append(b, f)
	b = append(b, ctl...)
	b = append(b, '\r')
	if code != AA && code != CA {
		ecode := opts.ErrorCode
		if ecode == "" {
			ecode = "207"
		}
		// ERR-3 error code (CWE from table 0357), ERR-4 severity, ERR-8 user message
		b = append(b, "ERR"...)
		b = append(b, f, f, f)
		b = esc(b, ecode)
		if d.Component != 0 {
			b = append(b, d.Component)
			b = esc(b, errCodeText(ecode))
			b = append(b, d.Component)
			b = append(b, "HL70357"...)
		}
		b = append(b, f)
		b = append(b, 'E')
		b = append(b, f, f, f, f)
		b = esc(b, opts.ErrorText)
		b = append(b, '\r')
	}
	return b
}

func errCodeText(code string) string {
	switch code {
	case "0":
		return "Message accepted"
	case "100":
		return "Segment sequence error"
	case "101":
		return "Required field missing"
	case "102":
		return "Data type error"
	case "103":
		return "Table value not found"
	case "200":
		return "Unsupported message type"
	case "201":
		return "Unsupported event code"
	case "202":
		return "Unsupported processing id"
	case "203":
		return "Unsupported version id"
	case "204":
		return "Unknown key identifier"
	case "205":
		return "Duplicate key identifier"
	case "206":
		return "Application record locked"
	case "207":
		return "Application internal error"
	}
	return ""
}
