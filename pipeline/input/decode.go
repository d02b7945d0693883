package input

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/winnow-data/winnow/pipeline"
)

// spanPool holds the member-span scratch of decodeJSON, one per worker in
// practice.
var spanPool = sync.Pool{New: func() any { s := make([]span, 0, 32); return &s }}

// decodeJSON fills doc from one JSON object record. It allocates the text,
// id, url and one buffer holding every passed-through field value; field
// names are interned.
func (m *fieldMap) decodeJSON(name string, raw []byte, doc *pipeline.Document) error {
	// A text at one top-level name, the common case, is unescaped while
	// it is validated.
	capture := ""
	if len(m.text) == 1 && len(m.text[0].segs) == 1 {
		capture = m.text[0].full
	}
	sp := spanPool.Get().(*[]span)
	spans, notObject, err := scanObject(raw, (*sp)[:0], capture)
	defer func() {
		// Drop the names, and do not keep the scratch of a record with
		// an extraordinary number of members.
		clear(spans)
		if cap(spans) <= 4096 {
			*sp = spans[:0]
			spanPool.Put(sp)
		}
	}()
	switch {
	case err != nil:
		return recordError(name, "malformed_json", err)
	case notObject:
		return recordError(name, "not_an_object", nil)
	}
	r := record{raw: raw, spans: spans}

	// Text: the string values at the text paths, joined.
	if i := r.topIndex(capture); capture != "" && i >= 0 && spans[i].captured {
		doc.Text = spans[i].text
	} else {
		var partsBuf [8][]byte
		parts, found := partsBuf[:0], false
		for _, p := range m.text {
			v, ok := r.resolve(p)
			if !ok {
				continue
			}
			var ok2 bool
			if parts, ok2 = appendTextParts(parts, v); ok2 {
				found = true
			}
		}
		if !found {
			return recordError(name, "missing_text", m.missingText(&r))
		}
		doc.Text = joinStrings(parts)
	}

	if v, ok := r.resolve(m.id); ok {
		switch {
		case v[0] == '"':
			doc.ID = unquote(v)
		case v[0] == '-' || isDigit(v[0]):
			doc.ID = string(v)
		}
	}
	if v, ok := r.resolve(m.url); ok && v[0] == '"' {
		doc.URL = unquote(v)
	}
	if v, ok := r.resolve(m.date); ok {
		doc.Date = jsonDate(v)
	}
	// A record of an earlier run keeps its language and provenance, so
	// runs can be chained (identify languages once, dedup later).
	if v, ok := r.top("lang"); ok && v[0] == '"' {
		doc.Lang = unquote(v)
	}
	if v, ok := r.top("lang_score"); ok && (v[0] == '-' || isDigit(v[0])) {
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			doc.LangScore = f
		}
	}
	if v, ok := r.top("source"); ok && v[0] == '"' {
		doc.Source = unquote(v)
	}

	r.appendFields(doc)
	return nil
}

// missingText says which text fields a record lacks and which it has, so a
// misspelt --text-field is plain from the first error.
func (m *fieldMap) missingText(r *record) error {
	want := make([]string, len(m.text))
	for i, p := range m.text {
		want[i] = p.full
	}
	const most = 20
	var have []string
	for _, s := range r.spans {
		if len(have) == most {
			have = append(have, "…")
			break
		}
		have = append(have, string(r.key(s)))
	}
	if len(have) == 0 {
		return fmt.Errorf("no text at %s (the record is an empty object)", strings.Join(want, ", "))
	}
	return fmt.Errorf("no text at %s (records have: %s)", strings.Join(want, ", "), strings.Join(have, ", "))
}

func recordError(name, reason string, err error) error {
	// The engine knows the record's index and offset; Decode does not.
	return &pipeline.RecordError{File: name, Index: -1, Offset: -1, Reason: reason, Err: err}
}

// record is a validated JSON object and the spans of its members.
type record struct {
	raw   []byte
	spans []span
}

func (r *record) key(s span) []byte { return r.raw[s.k0+1 : s.k1-1] }

// top returns the value of the last member named name (the last one wins
// on duplicates, as in encoding/json).
func (r *record) top(name string) ([]byte, bool) {
	if i := r.topIndex(name); i >= 0 {
		return r.raw[r.spans[i].v0:r.spans[i].v1], true
	}
	return nil, false
}

// topIndex returns the index of the span of the last member named name, or
// -1.
func (r *record) topIndex(name string) int {
	for i := len(r.spans) - 1; i >= 0; i-- {
		s := &r.spans[i]
		if !s.kesc && s.k1-s.k0-2 != len(name) {
			continue // the common rejection, without a call
		}
		if keyEquals(r.key(*s), s.kesc, name) {
			return i
		}
	}
	return -1
}

// resolve returns the value at p: the member named p.full, else the
// member reached segment by segment through nested objects.
func (r *record) resolve(p path) ([]byte, bool) {
	if v, ok := r.top(p.full); ok || len(p.segs) == 1 {
		return v, ok
	}
	v, ok := r.top(p.segs[0])
	for _, seg := range p.segs[1:] {
		if !ok || v[0] != '{' {
			return nil, false
		}
		v, ok = member(v, seg)
	}
	return v, ok
}

// member returns the value of the last member of object obj named name.
func member(obj []byte, name string) (val []byte, ok bool) {
	members(obj, func(k []byte, kesc bool, v []byte) bool {
		if keyEquals(k, kesc, name) {
			val, ok = v, true
		}
		return true
	})
	return val, ok
}

// appendTextParts appends the JSON strings that make the text of value v:
// v itself if it is a string; the strings, and the "content" strings of
// objects (chat turns), of an array. ok reports whether v holds text at
// all; an empty array does (an empty conversation).
func appendTextParts(parts [][]byte, v []byte) ([][]byte, bool) {
	switch v[0] {
	case '"':
		return append(parts, v), true
	case '[':
		n0, empty := len(parts), true
		elements(v, func(e []byte) bool {
			empty = false
			switch e[0] {
			case '"':
				parts = append(parts, e)
			case '{':
				if c, ok := member(e, "content"); ok && c[0] == '"' {
					parts = append(parts, c)
				}
			}
			return true
		})
		return parts, empty || len(parts) > n0
	}
	return parts, false
}

// joinStrings unescapes the JSON strings parts and joins the non-empty
// ones with a blank line, in one allocation.
func joinStrings(parts [][]byte) string {
	if len(parts) == 1 {
		return unquote(parts[0])
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range parts {
		if len(p) == 2 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		writeUnescaped(&b, p[1:len(p)-1])
	}
	return b.String()
}

// unquote returns the contents of the JSON string v, unescaped, as a new
// string.
func unquote(v []byte) string {
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s)
	}
	// A Builder's buffer is not zeroed when allocated, unlike make's: the
	// text is most of a record's bytes, and clearing it cost a tenth of
	// the decode (see BenchmarkDecode).
	var b strings.Builder
	b.Grow(len(s))
	writeUnescaped(&b, s)
	return b.String()
}

// ownString turns a freshly allocated buffer that nothing else references
// or will write into a string without copying it, as strings.Builder does.
func ownString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendFields appends every member whose name is not a canonical column
// to doc.Fields, in record order, the values sharing one new buffer. A
// duplicate name keeps its first place and its last value.
func (r *record) appendFields(doc *pipeline.Document) {
	// First pass: names, and the size of the values that pass through
	// (the text, usually most of the record, does not).
	n := 0
	for i := range r.spans {
		s := &r.spans[i]
		k := r.key(*s)
		if s.kesc {
			var tmp [64]byte
			s.name = names.get(appendUnescaped(tmp[:0], k))
		} else {
			s.name = names.get(k)
		}
		if !canonical(s.name) {
			n += s.v1 - s.v0
		}
	}
	buf := make([]byte, 0, n)
	fields := doc.Fields[:0]
	var index map[string]int // built only for records with many members
	for _, s := range r.spans {
		name := s.name
		if canonical(name) {
			continue
		}
		start := len(buf)
		buf = append(buf, r.raw[s.v0:s.v1]...)
		val := buf[start:len(buf):len(buf)]
		at := -1
		if index != nil {
			if i, ok := index[name]; ok {
				at = i
			}
		} else {
			for i := range fields {
				if fields[i].Name == name {
					at = i
					break
				}
			}
			if len(fields) == 32 {
				index = make(map[string]int, 64)
				for i, f := range fields {
					index[f.Name] = i
				}
			}
		}
		if at >= 0 {
			fields[at].Value = val
			continue
		}
		if index != nil {
			index[name] = len(fields)
		}
		fields = append(fields, pipeline.Field{Name: name, Value: val})
	}
	doc.Fields = fields
}

// internTable shares the strings of field names between documents: the
// same few names recur in every record of a file. It is safe for
// concurrent use; a collision only costs an allocation.
type internTable struct {
	slots [1024]atomic.Pointer[string]
}

var names internTable

func (t *internTable) get(b []byte) string {
	if len(b) > 64 {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &t.slots[h%uint32(len(t.slots))]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}

// jsonDate reads a date from a JSON value: a date string or unix seconds.
func jsonDate(v []byte) time.Time {
	switch {
	case v[0] == '"':
		s := v[1 : len(v)-1]
		if len(s) > 64 {
			return time.Time{}
		}
		if bytes.IndexByte(s, '\\') >= 0 {
			var tmp [64]byte
			s = appendUnescaped(tmp[:0], s)
		}
		return parseDate(string(s))
	case v[0] == '-' || isDigit(v[0]):
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return time.Time{}
		}
		return unixSeconds(f)
	}
	return time.Time{}
}

// unixSeconds converts seconds since the epoch to a UTC time, refusing
// values outside years 0001–9999 that no crawl date can have.
func unixSeconds(f float64) time.Time {
	const lo, hi = -62135596800, 253402300799
	if !(f >= lo && f <= hi) {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

// parseDate parses the date forms found in text collections: RFC 3339
// and its ISO 8601 relatives, with 'T' or ' ' between date and time, with
// or without seconds' fraction and zone (no zone means UTC), or a bare
// date. Anything else is the zero time.
func parseDate(s string) time.Time {
	var layout string
	switch {
	case len(s) == 10:
		layout = "2006-01-02"
	case len(s) >= 19 && (s[10] == 'T' || s[10] == ' ' || s[10] == 't'):
		zone := ""
		rest := s[19:]
		if len(rest) > 0 && rest[0] == '.' {
			i := 1
			for i < len(rest) && isDigit(rest[i]) {
				i++
			}
			rest = rest[i:]
		}
		switch {
		case rest == "":
		case rest == "Z" || rest == "z":
			zone = "Z07:00"
		case len(rest) == 6 && rest[3] == ':':
			zone = "Z07:00"
		case len(rest) == 5:
			zone = "Z0700"
		case len(rest) == 3:
			zone = "Z07"
		default:
			return time.Time{}
		}
		sep := "T"
		if s[10] == ' ' {
			sep = " "
		}
		layout = "2006-01-02" + sep + "15:04:05" + zone
		if s[10] == 't' || rest == "z" {
			// time.Parse wants the layout's case; lower-case 't' and 'z'
			// are valid RFC 3339.
			b := []byte(s)
			b[10] = 'T'
			if rest == "z" {
				b[len(b)-1] = 'Z'
			}
			s = string(b)
		}
	default:
		return time.Time{}
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
