package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"unicode/utf8"

	"github.com/winnow-data/winnow/pipeline"
)

// Binary files — images, archives, executables, fonts — are common in
// directories of documents (a docs tree, a scraped site) and read as text
// they become documents of garbage with a language. Open recognises them
// from their first decoded bytes (so a .png.gz is one too) and returns a
// source that skips the whole file.

// sniffSize is how much of a file's decoded start format detection and
// the binary test look at.
const sniffSize = 4096

// binaryMagic lists the signatures of common binary formats, by name.
var binaryMagic = []struct {
	name string
	at   int
	sig  string
	pre  string // also at the start, for signatures past it
}{
	{"PNG image", 0, "\x89PNG\r\n\x1a\n", ""},
	{"GIF image", 0, "GIF87a", ""},
	{"GIF image", 0, "GIF89a", ""},
	{"JPEG image", 0, "\xff\xd8\xff", ""},
	{"TIFF image", 0, "II*\x00", ""},
	{"TIFF image", 0, "MM\x00*", ""},
	{"Photoshop image", 0, "8BPS\x00\x01", ""},
	{"PDF document", 0, "%PDF-", ""},
	{"PostScript document", 0, "%!PS", ""},
	{"ZIP archive", 0, "PK\x03\x04", ""},
	{"ZIP archive", 0, "PK\x05\x06", ""},
	{"ZIP archive", 0, "PK\x07\x08", ""},
	{"7-Zip archive", 0, "7z\xbc\xaf\x27\x1c", ""},
	{"RAR archive", 0, "Rar!\x1a\x07", ""},
	{"tar archive", 257, "ustar", ""},
	{"ar archive", 0, "!<arch>\n", ""},
	{"compress(1) data", 0, "\x1f\x9d", ""},
	{"OLE2 document", 0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ""},
	{"ELF executable", 0, "\x7fELF", ""},
	{"Mach-O executable", 0, "\xfe\xed\xfa\xce", ""},
	{"Mach-O executable", 0, "\xfe\xed\xfa\xcf", ""},
	{"Mach-O executable", 0, "\xce\xfa\xed\xfe", ""},
	{"Mach-O executable", 0, "\xcf\xfa\xed\xfe", ""},
	{"Java class or Mach-O universal binary", 0, "\xca\xfe\xba\xbe", ""},
	{"WebAssembly module", 0, "\x00asm", ""},
	{"WOFF font", 0, "wOFF", ""},
	{"WOFF2 font", 0, "wOF2", ""},
	{"OpenType font", 0, "OTTO\x00", ""},
	{"TrueType font collection", 0, "ttcf\x00", ""},
	{"SQLite database", 0, "SQLite format 3\x00", ""},
	{"Ogg media", 0, "OggS\x00", ""},
	{"FLAC audio", 0, "fLaC", ""},
	{"MP3 audio", 0, "ID3\x02\x00", ""},
	{"MP3 audio", 0, "ID3\x03\x00", ""},
	{"MP3 audio", 0, "ID3\x04\x00", ""},
	{"MIDI audio", 0, "MThd\x00\x00\x00\x06", ""},
	{"MP4/QuickTime media", 4, "ftyp", ""},
	{"Matroska/WebM media", 0, "\x1a\x45\xdf\xa3", ""},
	{"WAV audio", 8, "WAVE", "RIFF"},
	{"AVI video", 8, "AVI ", "RIFF"},
	{"WebP image", 8, "WEBP", "RIFF"},
	{"gettext catalogue", 0, "\xde\x12\x04\x95", ""},
	{"gettext catalogue", 0, "\x95\x04\x12\xde", ""},
	{"binary property list", 0, "bplist00", ""},
}

// binaryKind names the binary format whose signature head starts with,
// or returns "".
func binaryKind(head []byte) string {
	for _, m := range binaryMagic {
		if len(head) >= m.at+len(m.sig) && string(head[m.at:m.at+len(m.sig)]) == m.sig && bytes.HasPrefix(head, []byte(m.pre)) {
			return m.name
		}
	}
	return ""
}

// maxNonText is the share of bytes in a file's start, beyond which it is
// not text: control bytes and bytes of invalid UTF-8. Text in a legacy
// 8-bit encoding has a few (Latin-1 French: 2–5%) and is read, invalid
// bytes becoming U+FFFD; random or packed data has half or more.
const maxNonText = 0.30

// notText tells why head, the start of a file of no recognised format,
// is not text, or returns "". A NUL byte is never in text (as git and
// grep have it); a start that is mostly control bytes or invalid UTF-8
// is data. UTF-16 and UTF-32 text (with a byte order mark) is left alone.
func notText(head []byte) string {
	if len(head) == 0 || bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")) ||
		bytes.HasPrefix(head, []byte("\x00\x00\xfe\xff")) {
		return ""
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Sprintf("a NUL byte at %d", i)
	}
	bad := 0
	for i := 0; i < len(head); {
		c := head[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !textControl(c) || c == 0x7f {
				bad++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n == 1 {
			if !utf8.FullRune(head[i:]) && len(head)-i < utf8.UTFMax {
				break // a sequence cut by the end of the sample
			}
			bad++
		}
		i += n
	}
	if share := float64(bad) / float64(len(head)); share > maxNonText {
		return fmt.Sprintf("%.0f%% of the first %d bytes are control bytes or invalid UTF-8", 100*share, len(head))
	}
	return ""
}

// textControl reports whether c is a control byte that text holds: tab,
// line ends, form feed, escape (coloured logs) and backspace (overstruck
// bold in formatted manual pages).
func textControl(c byte) bool {
	switch c {
	case '\t', '\n', '\v', '\f', '\r', 0x1b, '\b':
		return true
	}
	return false
}

// SkipBinary is the reason, counted in Stats.Skipped as input.binary, of
// a file skipped because it is not text.
const SkipBinary = "binary"

// skippedFile is the source of a file that holds no documents: it yields
// one whole-file skip.
type skippedFile struct {
	f   File
	why string
}

func (s *skippedFile) Name() string { return s.f.Path }
func (s *skippedFile) Size() int64  { return s.f.Size }
func (s *skippedFile) Records(context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		yield(pipeline.Record{}, &pipeline.RecordError{File: s.f.Path, Index: -1, Offset: -1, Reason: SkipBinary,
			Err: errors.New(s.why), Skip: true})
	}
}
