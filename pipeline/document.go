// Package pipeline owns the document model, the stage contract, the streaming
// engine that runs stages over inputs on all cores, and the run's accounting.
//
// Inputs (pipeline/input) and outputs (pipeline/output) plug into the engine
// through the Source and Sink interfaces; curation stages (filters/..., dedup/...)
// through Stage. A pipeline is a plain list of stages.
package pipeline

import (
	"encoding/json"
	"fmt"
	"time"
)

// Document is one record flowing through the pipeline.
//
// A stage may read every field and rewrite Text (through SetText, so cached
// analyses are dropped), Lang, LangScore, signals and extra fields. Documents
// are owned by the engine and reused: a stage must not keep a pointer to one
// after Process returns.
type Document struct {
	// ID is the record's own id, unchanged; a stable id derived from Source
	// when the record has none.
	ID string
	// Text is the text the stages see and the output's text column.
	Text string
	// URL is the document's address, empty when unknown (written as null).
	URL string
	// Date is the crawl or publication time when known, else the zero time.
	Date time.Time
	// Source names the input file and the record's 0-based index in it,
	// "path#index" — unless the record carries a source of its own (a
	// shard written by an earlier run), which is kept.
	Source string
	// Lang is the ISO 639-1 code (else 639-3) set by language
	// identification; empty until a stage sets it ("und" is written then).
	Lang string
	// LangScore is the confidence of Lang, 0–1.
	LangScore float64

	// FileIndex is the index of the input file in the run's sorted file
	// list and Record the record's index inside that file. Together they
	// give the document's place in input order, which stages that must
	// choose between documents (dedup) use to break ties deterministically.
	FileIndex int
	Record    int64

	// Signals are the numeric quality signals computed by stages, in the
	// order they were set; written as double columns named after them.
	Signals []Signal
	// Fields are the input record's other fields and the non-numeric
	// columns added by stages, in order, each as raw JSON. Input fields
	// pass through to the output under their own names, structure intact.
	Fields []Field

	memo map[any]any
}

// Signal is one named numeric value, conventionally "stage.signal".
type Signal struct {
	Name  string
	Value float64
}

// Field is one named value held as JSON text.
type Field struct {
	Name  string
	Value json.RawMessage
}

// Order returns the document's position in input order, comparable across
// the files of one run: file index first, then record index.
func (d *Document) Order() uint64 {
	return uint64(d.FileIndex)<<40 | uint64(d.Record)&(1<<40-1)
}

// SetText replaces the text and forgets every analysis memoised for the
// old text.
func (d *Document) SetText(s string) {
	d.Text = s
	clear(d.memo)
}

// SetSignal sets signal name to v, replacing an earlier value of that name.
func (d *Document) SetSignal(name string, v float64) {
	for i := range d.Signals {
		if d.Signals[i].Name == name {
			d.Signals[i].Value = v
			return
		}
	}
	d.Signals = append(d.Signals, Signal{Name: name, Value: v})
}

// Signal returns the value of signal name and whether it is set.
func (d *Document) Signal(name string) (float64, bool) {
	for _, s := range d.Signals {
		if s.Name == name {
			return s.Value, true
		}
	}
	return 0, false
}

// SetField sets field name to the JSON encoding of v, replacing an earlier
// field of that name. It is for stages adding columns (a title, a list of
// candidates); values that cannot be encoded are an error.
func (d *Document) SetField(name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("field %q: %w", name, err)
	}
	d.SetRawField(name, raw)
	return nil
}

// SetRawField sets field name to raw, which must be valid JSON.
func (d *Document) SetRawField(name string, raw json.RawMessage) {
	for i := range d.Fields {
		if d.Fields[i].Name == name {
			d.Fields[i].Value = raw
			return
		}
	}
	d.Fields = append(d.Fields, Field{Name: name, Value: raw})
}

// Field returns the raw JSON value of field name, or nil.
func (d *Document) Field(name string) json.RawMessage {
	for _, f := range d.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}

// Memo returns the value memoised under key, computing it with fn the
// first time. Stages use it to share one analysis of the text (its NFC
// form, its words, its lines) so a document is segmented once; SetText
// forgets it. Keys should be unexported types of the package that owns the
// analysis, as with context keys.
func (d *Document) Memo(key any, fn func(*Document) any) any {
	if v, ok := d.memo[key]; ok {
		return v
	}
	v := fn(d)
	if d.memo == nil {
		d.memo = make(map[any]any, 4)
	}
	d.memo[key] = v
	return v
}

// Reset clears the document for reuse, keeping allocated capacity.
func (d *Document) Reset() {
	sig, fields, memo := d.Signals[:0], d.Fields[:0], d.memo
	clear(memo)
	*d = Document{Signals: sig, Fields: fields, memo: memo}
}
