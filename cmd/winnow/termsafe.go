package main

import (
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// messageWriter is the writer of every message winnow prints on stderr
// (errors, warnings, the summary, launch's progress lines): file names
// and data reach those messages, and a terminal would obey the control
// sequences in them (colours, cursor moves, title changes, hyperlinks —
// or text hidden by a carriage return). It writes them escaped instead,
// as \x1b, \u202e and the like; newlines and tabs stay.
//
// The progress bar alone writes to the terminal directly (raw).
type messageWriter struct {
	raw io.Writer
	mu  sync.Mutex // loggers write from several goroutines
	buf []byte
}

func (m *messageWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf = appendEscaped(m.buf[:0], p)
	if _, err := m.raw.Write(m.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// rawWriter returns the writer under w when w escapes messages.
func rawWriter(w io.Writer) io.Writer {
	if m, ok := w.(*messageWriter); ok {
		return m.raw
	}
	return w
}

// appendEscaped appends p with every control character escaped: C0 but
// newline and tab, DEL, C1, the bidirectional overrides and isolates
// (which reorder what the reader sees), and invalid UTF-8 bytes.
func appendEscaped(dst, p []byte) []byte {
	for len(p) > 0 {
		r, n := utf8.DecodeRune(p)
		switch {
		case r == utf8.RuneError && n == 1:
			dst = fmt.Appendf(dst, `\x%02x`, p[0])
		case r == '\n' || r == '\t':
			dst = append(dst, byte(r))
		case r < 0x20 || r == 0x7f:
			dst = fmt.Appendf(dst, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, p[:n]...)
		}
		p = p[n:]
	}
	return dst
}
