package pipeline

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// Source is one input file as the engine sees it.
type Source interface {
	// Name is the file's path or URL as reported in stats, errors and the
	// source column.
	Name() string
	// Size is the file's size in storage in bytes, or -1 when unknown.
	Size() int64
	// Records yields the file's records in order.
	//
	// A yielded error of type *RecordError concerns one record: the engine
	// counts it (in docs_errored, or in records_skipped when Skip is set)
	// and iteration goes on. A *FileError with Recovered set reports damage
	// the reader resynchronised after: it is listed in input_errors and
	// iteration goes on. Any other error means the file cannot be read
	// further: everything yielded before it is kept, the file is listed in
	// input_errors with the error's position, and the engine moves to the
	// next file. Records stops early when ctx is done or yield returns
	// false.
	Records(ctx context.Context) iter.Seq2[Record, error]
}

// Decoder is implemented by sources whose records are decoded by the
// engine's workers rather than while reading (JSONL: the reader only
// splits lines, so parsing runs on all cores). Decode fills doc, which the
// engine has Reset, from raw; it is called concurrently. An error marks the
// record as errored; a *RecordError gives the reason a name.
type Decoder interface {
	Decode(raw []byte, doc *Document) error
}

// Record is one record read from a Source: either already decoded (Doc) or
// raw bytes for the source's Decoder.
type Record struct {
	// Index is the record's 0-based index in the file.
	Index int64
	// Offset is the byte offset of the record in the file's decoded
	// stream, for error messages.
	Offset int64
	// StoredOffset is how far into the stored (possibly compressed) file
	// the reader had got, for progress reporting.
	StoredOffset int64
	// Raw holds the undecoded record; valid only until yield returns.
	Raw []byte
	// Doc holds the decoded document when the source decodes while
	// reading; the engine copies it and does not keep the pointer.
	Doc *Document
	// Repaired names what the reader repaired or cut to make the
	// document ("invalid_utf8", "truncated_body"), each counted in
	// Stats.Repaired.
	Repaired []string
}

// RecordError reports one bad record. The run goes on without it.
type RecordError struct {
	File   string
	Index  int64  // record index in the file
	Offset int64  // byte offset in the decoded stream, or -1
	Reason string // snake_case, e.g. "malformed_json"; reported as input.<reason>
	Err    error
	// Skip marks a record that is not a document at all (a WARC request
	// or metadata record): it is counted under records_skipped by reason
	// and not in docs_in. With Index -1 it is the whole file (a binary
	// file met in an input directory), listed in Stats.SkippedFiles
	// with Err as the why.
	Skip bool
}

func (e *RecordError) Error() string {
	pos := fmt.Sprintf("record %d", e.Index)
	if e.Offset >= 0 {
		pos += fmt.Sprintf(" (byte %d)", e.Offset)
	}
	if e.File != "" {
		pos = e.File + ": " + pos
	}
	if e.Err != nil {
		return pos + ": " + e.Reason + ": " + e.Err.Error()
	}
	return pos + ": " + e.Reason
}

func (e *RecordError) Unwrap() error { return e.Err }

// FileError reports a file that could not be read to its end: damage at
// Offset in the decoded stream after Records records.
type FileError struct {
	File    string
	Offset  int64
	Records int64
	Err     error
	// Recovered reports that the reader resynchronised after the damage
	// and goes on yielding records.
	Recovered bool
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s: byte %d (after %d records): %v", e.File, e.Offset, e.Records, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Sink receives the engine's results, from a single goroutine, in input
// order. Every document's Text is valid UTF-8 (the engine repairs invalid
// input and re-checks text a stage rewrote), so a sink need not check it.
type Sink interface {
	// Write receives a batch of kept documents. The documents are reused
	// after Write returns.
	Write(docs []*Document) error
	// Reject receives a batch of rejected documents, reasons[i] giving why
	// docs[i] was dropped ("stage.reason"). A sink that does not keep
	// rejected documents ignores it.
	Reject(docs []*Document, reasons []string) error
	// Close commits everything written: after it returns without error,
	// every output file is complete and visible.
	Close() error
	// Abort removes every uncommitted output; nothing partial stays
	// visible. It is called instead of Close when the run fails or is
	// cancelled.
	Abort() error
}

// ErrInvariant is returned when the run's accounting does not balance.
var ErrInvariant = errors.New("accounting invariant violated")
