package input

import (
	"fmt"
	"strings"
)

// DefaultMaxRecordBytes is the default bound on one record (a JSONL line, a
// text file): large enough for any real document, small enough that a
// file without newlines cannot exhaust memory.
const DefaultMaxRecordBytes = 64 << 20

// DefaultMaxZstdWindow is the default bound on the window a zstd frame
// may ask for, and so on the decoder's memory: 2 GiB, what
// `zstd --long=31` (the largest long-distance window) writes.
const DefaultMaxZstdWindow = 2 << 30

// DefaultExpansion and DefaultMinDecodedBytes make the default bound on
// what one compressed file may decompress to: DefaultExpansion times its
// stored size, and never less than DefaultMinDecodedBytes. Text
// compresses 3–20× (gzip cannot pass 1032×); a file far beyond that is a
// decompression bomb, whose bytes would cost time without end.
const (
	DefaultExpansion       = 1000
	DefaultMinDecodedBytes = 1 << 30
	// unknownSizeDecodedBytes bounds a stream whose stored size is not
	// known (a pipe).
	unknownSizeDecodedBytes = 1 << 40
)

// Options maps record fields to document fields. The zero value means the
// defaults.
type Options struct {
	// TextFields are dotted paths ("text", "meta.body") whose values make
	// the document's text, default ["text"]. Several are joined with a
	// blank line ("\n\n"), empty ones left out. A value that is a list of
	// chat turns ({role, content} objects, e.g. "messages") or of strings
	// is joined the same way (contents only).
	TextFields []string
	// IDField is the dotted path of the record's id, default "id"; a
	// number id is kept in its JSON form.
	IDField string
	// URLField is the dotted path of the document's URL, default "url".
	URLField string
	// DateField is the dotted path of the document's date, default "date":
	// an RFC 3339 / ISO 8601 date or date-time string, or unix seconds.
	// An unparseable value leaves Document.Date zero; the field still
	// passes through.
	DateField string
	// MaxRecordBytes bounds one record, default DefaultMaxRecordBytes: a
	// longer JSONL line, text file, JSON array element or Parquet row text
	// is a *pipeline.RecordError "record_too_large", and reading goes on
	// at the next line or element with memory bounded by this size.
	MaxRecordBytes int64
	// Include and Exclude are glob patterns (path.Match syntax) that
	// narrow the files List finds by walking a directory, listing a
	// prefix or matching a glob; files named as arguments are always
	// read. A pattern without '/' matches a file's name at any depth
	// ("*.jsonl.gz"), one with '/' its path relative to the directory
	// given ("2024/*/part-*"). With Include set, only files matching one
	// of its patterns are read; a file or directory matching an Exclude
	// pattern is not (an excluded directory is not entered).
	Include, Exclude []string
	// MaxDecodedBytes bounds the decompressed bytes of one compressed
	// file; past it the file ends in a *pipeline.FileError wrapping
	// ErrDecodedLimit, after the records before the limit. Default:
	// DefaultExpansion times the stored size, at least
	// DefaultMinDecodedBytes.
	MaxDecodedBytes int64
	// MaxZstdWindow bounds the window a zstd frame may ask for, default
	// DefaultMaxZstdWindow; a frame that needs more ends its file with an
	// error that names the bound.
	MaxZstdWindow int64
}

// limits bound the decoding of one file.
type limits struct {
	decoded    int64  // decompressed bytes
	why        string // how decoded was chosen, for the error message
	zstdWindow int64
}

// limitsFor resolves the limits of a file of stored size size (<= 0:
// unknown).
func (m *fieldMap) limitsFor(size int64) limits {
	l := limits{decoded: m.maxDecoded, why: "Options.MaxDecodedBytes, input.max_decoded_bytes", zstdWindow: m.zstdWindow}
	if l.decoded <= 0 {
		switch {
		case size <= 0:
			l.decoded, l.why = unknownSizeDecodedBytes, "the bound for a stream of unknown size; set input.max_decoded_bytes"
		default:
			l.decoded = max(DefaultMinDecodedBytes, min(size, 1<<62/DefaultExpansion)*DefaultExpansion)
			l.why = fmt.Sprintf("%d times the stored size, at least %s; set input.max_decoded_bytes to change it", DefaultExpansion, sizeString(DefaultMinDecodedBytes))
		}
	}
	return l
}

// path is a compiled dotted path. A key that itself contains dots is
// matched whole first ("a.b" names the member "a.b" when there is one),
// then segment by segment.
type path struct {
	full string
	segs []string
}

// fieldMap is the compiled form of Options.
type fieldMap struct {
	text           []path
	id, url, date  path
	maxRecordBytes int64
	maxDecoded     int64 // 0: by the file's size
	zstdWindow     int64
}

func compile(o Options) (*fieldMap, error) {
	m := &fieldMap{maxRecordBytes: o.MaxRecordBytes}
	if m.maxRecordBytes <= 0 {
		m.maxRecordBytes = DefaultMaxRecordBytes
	}
	// A record is held in memory whole; beyond 1 TiB the bound only
	// risks overflow in buffer arithmetic.
	m.maxRecordBytes = min(m.maxRecordBytes, 1<<40)
	m.maxDecoded = max(o.MaxDecodedBytes, 0)
	m.zstdWindow = o.MaxZstdWindow
	switch {
	case m.zstdWindow <= 0:
		m.zstdWindow = DefaultMaxZstdWindow
	case m.zstdWindow < 1<<10:
		return nil, fmt.Errorf("zstd window bound %d: must be at least 1 KiB", m.zstdWindow)
	case m.zstdWindow > 1<<41:
		return nil, fmt.Errorf("zstd window bound %d: zstd windows end at 2 TiB", m.zstdWindow)
	}
	texts := o.TextFields
	if len(texts) == 0 {
		texts = []string{"text"}
	}
	for _, t := range texts {
		p, err := compilePath("text field", t)
		if err != nil {
			return nil, err
		}
		m.text = append(m.text, p)
	}
	var err error
	if m.id, err = compilePath("id field", or(o.IDField, "id")); err != nil {
		return nil, err
	}
	if m.url, err = compilePath("url field", or(o.URLField, "url")); err != nil {
		return nil, err
	}
	if m.date, err = compilePath("date field", or(o.DateField, "date")); err != nil {
		return nil, err
	}
	return m, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func compilePath(what, s string) (path, error) {
	segs := strings.Split(s, ".")
	for _, seg := range segs {
		if seg == "" {
			return path{}, fmt.Errorf("%s %q: empty path segment", what, s)
		}
	}
	return path{full: s, segs: segs}, nil
}

// canonical reports whether name is one of the output columns that are
// produced from the Document itself, so an input field of that name does
// not pass through.
func canonical(name string) bool {
	switch name {
	case "id", "text", "url", "lang", "lang_score", "source":
		return true
	}
	return false
}
