package hl7

import (
	"io"
)

// DefaultMaxMessageSize is the message size limit used when none is given (16 MiB).
const DefaultMaxMessageSize = 16 << 20

const (
	mllpStart = 0x0B
	mllpEnd   = 0x1C
)

// Scanner splits a stream of ER7 text into messages: files with several MSH
// segments, FHS/BHS/BTS/FTS batch envelopes (noted, not returned as messages),
// blank lines between messages, CR, LF or CRLF segment terminators, a leading
// UTF-8 BOM, and MLLP start/end bytes around messages.
//
// Each message is returned as its segment lines appeared in the input,
// terminators included, so Parse(msg).Bytes() equals msg. Text that belongs
// to no message, and messages over the size limit, are reported as *Error
// values from Next, and scanning goes on after them: nothing valid is lost
// because something else was bad.
type Scanner struct {
	rd    io.Reader
	buf   []byte
	start int
	end   int
	eof   bool
	rerr  error
	base  int // stream offset of buf[0]
	max   int

	index    int
	msgOff   int
	cur      []byte
	inMsg    bool
	tooLarge bool
	curOff   int
	pendLine []byte
	pendOff  int
	envelope []string
	first    bool
}

// NewScanner returns a Scanner reading r with the given maximum message size
// (DefaultMaxMessageSize if max ≤ 0).
func NewScanner(r io.Reader, max int) *Scanner {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return &Scanner{rd: r, buf: make([]byte, 64<<10), max: max, first: true}
}

// Index returns the 1-based index of the message last returned by Next (or
// the message an ErrTooLarge error refers to).
func (s *Scanner) Index() int { return s.index }

// Offset returns the stream byte offset where the last returned message started.
func (s *Scanner) Offset() int { return s.msgOff }

// Envelope returns the names of batch envelope segments (FHS, BHS, BTS, FTS) seen so far, in order.
func (s *Scanner) Envelope() []string { return s.envelope }

// fill reads more input, compacting or growing the buffer. It returns false at EOF or error.
func (s *Scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:s.end])
		s.base += s.start
		s.start, s.end = 0, n
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.rd.Read(s.buf[s.end:])
	s.end += n
	if err != nil {
		s.eof = true
		if err != io.EOF {
			s.rerr = err
		}
	}
	return n > 0 || !s.eof
}

// readLine returns the next line with its terminator and its stream offset.
// Lines longer than the message limit are consumed and flagged too long.
func (s *Scanner) readLine() (line []byte, off int, tooLong bool, ok bool) {
	scanFrom := s.start
	for {
		i := scanFrom
		for i < s.end && s.buf[i] != '\r' && s.buf[i] != '\n' {
			i++
		}
		if i < s.end {
			if s.buf[i] == '\r' && i+1 == s.end && !s.eof {
				// need one more byte to know whether LF follows
				scanFrom = i - s.start
				s.fill()
				scanFrom += s.start
				continue
			}
			j := i + 1
			if s.buf[i] == '\r' && j < s.end && s.buf[j] == '\n' {
				j++
			}
			off = s.base + s.start
			line = s.buf[s.start:j]
			s.start = j
			return line, off, tooLong, true
		}
		if s.end-s.start > s.max+2 {
			// discard what we have and keep looking for the end of the line
			if !tooLong {
				off = s.base + s.start
			}
			tooLong = true
			s.base += s.end
			s.start, s.end = 0, 0
		}
		scanFrom = i - s.start
		if !s.fill() {
			if s.end > s.start || tooLong {
				if !tooLong {
					off = s.base + s.start
				}
				line = s.buf[s.start:s.end]
				s.start = s.end
				return line, off, tooLong, true
			}
			return nil, 0, false, false
		}
		scanFrom += s.start
		if tooLong {
			scanFrom = s.start
		}
	}
}

func lineContent(line []byte) []byte {
	for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == '\n') {
		line = line[:len(line)-1]
	}
	return line
}

func segHeader(content []byte, name string) bool {
	return len(content) >= 3 && string(content[:3]) == name && (len(content) == 3 || !isAlnum(content[3]))
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// Next returns the next message, valid until the following call. It returns io.EOF at the end of the stream,
// the reader's error if reading failed, and an *Error (ErrNoMSH for text
// outside any message, ErrTooLarge for an oversized message) for problems
// that Next can continue after.
func (s *Scanner) Next() ([]byte, error) {
	var garbageOff = -1
	for {
		var line []byte
		var off int
		var tooLong, ok bool
		if s.pendLine != nil {
			line, off, ok = s.pendLine, s.pendOff, true
			s.pendLine = nil
		} else {
			line, off, tooLong, ok = s.readLine()
			if ok && s.first {
				s.first = false
				if len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
					line = line[3:]
					off += 3
				}
			}
		}
		if !ok {
			if garbageOff >= 0 {
				return nil, &Error{Kind: ErrNoMSH, Offset: garbageOff, Detail: "text outside any message"}
			}
			if s.inMsg {
				return s.finish()
			}
			if s.rerr != nil {
				return nil, s.rerr
			}
			return nil, io.EOF
		}
		// strip MLLP framing bytes and stray EOF/NUL markers at the line edges
		for len(line) > 0 && (line[0] == mllpStart || line[0] == mllpEnd) {
			line = line[1:]
			off++
		}
		content := lineContent(line)
		if len(content) > 0 && content[len(content)-1] == mllpEnd {
			content = content[:len(content)-1]
			line = content // the frame end replaced the terminator
		}
		if !tooLong && isBlank(content) {
			continue
		}
		isMSH := !tooLong && segHeader(content, "MSH")
		env := ""
		if !tooLong {
			for _, n := range [...]string{"FHS", "BHS", "BTS", "FTS"} {
				if segHeader(content, n) {
					env = n
				}
			}
		}
		if isMSH || env != "" {
			if garbageOff >= 0 {
				s.pendLine, s.pendOff = append([]byte(nil), line...), off
				return nil, &Error{Kind: ErrNoMSH, Offset: garbageOff, Detail: "text outside any message"}
			}
			if s.inMsg {
				s.pendLine, s.pendOff = append([]byte(nil), line...), off
				return s.finish()
			}
			if env != "" {
				s.envelope = append(s.envelope, env)
				continue
			}
			s.inMsg = true
			s.tooLarge = false
			s.cur = s.cur[:0]
			s.curOff = off
		}
		if !s.inMsg {
			if garbageOff < 0 {
				garbageOff = off
			}
			continue
		}
		if tooLong || len(s.cur)+len(line) > s.max {
			s.tooLarge = true
			s.cur = s.cur[:0]
			continue
		}
		if !s.tooLarge {
			s.cur = append(s.cur, line...)
		}
	}
}

func (s *Scanner) finish() ([]byte, error) {
	s.inMsg = false
	s.index++
	s.msgOff = s.curOff
	if s.tooLarge {
		return nil, &Error{Kind: ErrTooLarge, Offset: s.curOff, Message: s.index}
	}
	return s.cur, nil
}
