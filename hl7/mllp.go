package hl7

import (
	"bufio"
	"io"
)

// MLLPReader reads MLLP frames: 0x0B, the message, 0x1C 0x0D. Bytes between
// frames are reported once as ErrFrame and skipped; an oversized frame is
// consumed and reported as ErrFrameTooLarge, so the connection can go on; a
// stream that ends inside a frame gives ErrFrameTruncated.
type MLLPReader struct {
	r      *bufio.Reader
	max    int
	off    int
	buf    []byte
	frames int
}

// NewMLLPReader returns a reader of frames up to max bytes of payload
// (DefaultMaxMessageSize if max ≤ 0).
func NewMLLPReader(r io.Reader, max int) *MLLPReader {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return &MLLPReader{r: bufio.NewReaderSize(r, 32<<10), max: max}
}

// Frames returns how many frames (good or bad) have been read.
func (m *MLLPReader) Frames() int { return m.frames }

// ReadMessage returns the payload of the next frame, valid until the next
// call. It returns io.EOF when the stream ends cleanly between frames.
func (m *MLLPReader) ReadMessage() ([]byte, error) {
	// skip to the start byte; anything else (except whitespace) is junk
	junkOff := -1
	for {
		c, err := m.r.ReadByte()
		if err != nil {
			if junkOff >= 0 {
				return nil, &Error{Kind: ErrFrame, Offset: junkOff, Detail: "bytes outside a frame"}
			}
			return nil, err
		}
		m.off++
		if c == mllpStart {
			if junkOff >= 0 {
				// report the junk, then read this frame on the next call
				_ = m.r.UnreadByte()
				m.off--
				return nil, &Error{Kind: ErrFrame, Offset: junkOff, Detail: "bytes outside a frame"}
			}
			break
		}
		if c == '\r' || c == '\n' || c == ' ' || c == '\t' {
			continue
		}
		if junkOff < 0 {
			junkOff = m.off - 1
		}
	}
	start := m.off - 1
	m.frames++
	m.buf = m.buf[:0]
	tooLarge := false
	for {
		chunk, err := m.r.ReadSlice(mllpEnd)
		m.off += len(chunk)
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		if !tooLarge {
			if len(m.buf)+len(chunk) > m.max {
				tooLarge = true
				m.buf = m.buf[:0]
			} else {
				m.buf = append(m.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF {
				return nil, &Error{Kind: ErrFrameTruncated, Offset: start, Message: m.frames}
			}
			return nil, err
		}
		break
	}
	// the end byte should be followed by CR; tolerate its absence
	if b, err := m.r.Peek(1); err == nil && b[0] == '\r' {
		_, _ = m.r.ReadByte()
		m.off++
	}
	if tooLarge {
		return nil, &Error{Kind: ErrFrameTooLarge, Offset: start, Message: m.frames}
	}
	for i, c := range m.buf {
		if c == mllpStart {
			return nil, &Error{Kind: ErrFrame, Offset: start + 1 + i, Message: m.frames, Detail: "start byte inside a frame"}
		}
	}
	return m.buf, nil
}

// AppendMLLP appends msg framed for MLLP to dst.
func AppendMLLP(dst, msg []byte) []byte {
	dst = append(dst, mllpStart)
	dst = append(dst, msg...)
	return append(dst, mllpEnd, '\r')
}

// WriteMLLP writes msg as one MLLP frame in a single Write call.
func WriteMLLP(w io.Writer, msg []byte) error {
	_, err := w.Write(AppendMLLP(make([]byte, 0, len(msg)+3), msg))
	return err
}
