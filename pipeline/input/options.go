package input

import (
	"fmt"
	"strings"
)

// DefaultMaxRecordBytes is the default bound on one record (a JSONL line, a
// text file): large enough for any real document, small enough that a
// file without newlines cannot exhaust memory.
const DefaultMaxRecordBytes = 64 << 20

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
	// is a *pipeline.RecordError "record_too_large". A JSONL reader goes
	// on at the next line with memory bounded by this size; inside a JSON
	// array, where there is no line to resynchronise on, an element much
	// longer than the bound ends the file with a *pipeline.FileError.
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
}

func compile(o Options) (*fieldMap, error) {
	m := &fieldMap{maxRecordBytes: o.MaxRecordBytes}
	if m.maxRecordBytes <= 0 {
		m.maxRecordBytes = DefaultMaxRecordBytes
	}
	// A record is held in memory whole; beyond 1 TiB the bound only
	// risks overflow in buffer arithmetic.
	m.maxRecordBytes = min(m.maxRecordBytes, 1<<40)
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
