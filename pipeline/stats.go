package pipeline

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Stats is the accounting of one run, written as OUT/stats.json.
//
// Every document read is counted once: DocsIn = DocsOut + DocsRejected +
// DocsErrored. Records that are not documents at all (a WARC request
// record) are counted in Skipped, outside DocsIn.
type Stats struct {
	DocsIn       int64 `json:"docs_in"`
	DocsOut      int64 `json:"docs_out"`
	DocsRejected int64 `json:"docs_rejected"`
	DocsErrored  int64 `json:"docs_errored"`
	// BytesIn is the stored size of the input files read, compressed as
	// they are; TextBytesIn the bytes of the documents' text as read.
	BytesIn     int64   `json:"bytes_in"`
	TextBytesIn int64   `json:"text_bytes_in"`
	Seconds     float64 `json:"seconds"`
	Files       int     `json:"files"`
	Workers     int     `json:"workers"`
	// Languages counts kept documents per language code ("und" when no
	// stage set one).
	Languages map[string]int64 `json:"languages"`
	// Stages lists, in pipeline order, what each stage saw and dropped.
	Stages []StageStats `json:"stages"`
	// Errored counts errored documents by reason ("input.malformed_json",
	// "<stage>.error").
	Errored map[string]int64 `json:"errored"`
	// Skipped counts records that are not documents, by reason; a whole
	// file that holds none (input.binary) counts once.
	Skipped map[string]int64 `json:"skipped"`
	// SkippedFiles lists the files skipped whole, with why (a binary
	// file found in an input directory: "PNG image").
	SkippedFiles []SkippedFile `json:"skipped_files"`
	// Repaired counts documents kept after a repair, by kind
	// ("invalid_utf8": invalid bytes replaced by U+FFFD).
	Repaired map[string]int64 `json:"repaired"`
	// InputErrors lists files damaged or unreadable, with the position of
	// the damage.
	InputErrors []InputError `json:"input_errors"`
	// RecordErrors samples the first errored records, with file and
	// position (the counts are in Errored).
	RecordErrors []InputError `json:"record_errors"`
}

// StageStats is one stage's accounting.
type StageStats struct {
	Name    string           `json:"name"`
	DocsIn  int64            `json:"docs_in"`
	DocsOut int64            `json:"docs_out"`
	Dropped map[string]int64 `json:"dropped"`
	Errored int64            `json:"errored"`
	// Rewritten counts the documents the stage kept with a changed text
	// (line_dedup cutting lines, pii masking addresses, ...).
	Rewritten int64 `json:"rewritten"`
	// Seconds is the time spent in the stage, summed over workers.
	Seconds float64 `json:"seconds"`
}

// InputError locates a problem in an input file.
type InputError struct {
	File string `json:"file"`
	// Position is the byte offset of the damage in the file's decoded
	// stream; Record the index of the record where it was found.
	Position int64  `json:"position"`
	Record   int64  `json:"record"`
	Error    string `json:"error"`
	// Recovered is true when reading went on after the damage.
	Recovered bool `json:"recovered,omitempty"`
}

// SkippedFile is a file that holds no documents.
type SkippedFile struct {
	File   string `json:"file"`
	Reason string `json:"reason"` // as counted in Skipped, e.g. input.binary
	Why    string `json:"why"`
}

// maxRecordErrors bounds the sample of record errors kept in Stats.
const maxRecordErrors = 100

func newStats(stages []Stage) *Stats {
	s := &Stats{
		Languages:    map[string]int64{},
		Errored:      map[string]int64{},
		Skipped:      map[string]int64{},
		Repaired:     map[string]int64{},
		Stages:       make([]StageStats, len(stages)),
		InputErrors:  []InputError{},
		RecordErrors: []InputError{},
		SkippedFiles: []SkippedFile{},
	}
	for i, st := range stages {
		s.Stages[i] = StageStats{Name: st.Name(), Dropped: map[string]int64{}}
	}
	return s
}

// Check verifies the accounting invariant.
func (s *Stats) Check() error {
	if s.DocsIn != s.DocsOut+s.DocsRejected+s.DocsErrored {
		return fmt.Errorf("%w: docs_in %d != docs_out %d + docs_rejected %d + docs_errored %d",
			ErrInvariant, s.DocsIn, s.DocsOut, s.DocsRejected, s.DocsErrored)
	}
	return nil
}

// Merge adds o's counts to s (for combining the stats of tasks). Stage
// lists are matched by position and name.
func (s *Stats) Merge(o *Stats) error {
	if len(s.Stages) == 0 {
		s.Stages = make([]StageStats, len(o.Stages))
		for i, st := range o.Stages {
			s.Stages[i] = StageStats{Name: st.Name, Dropped: map[string]int64{}}
		}
	}
	if len(s.Stages) != len(o.Stages) {
		return fmt.Errorf("merge stats: %d stages vs %d", len(s.Stages), len(o.Stages))
	}
	s.DocsIn += o.DocsIn
	s.DocsOut += o.DocsOut
	s.DocsRejected += o.DocsRejected
	s.DocsErrored += o.DocsErrored
	s.BytesIn += o.BytesIn
	s.TextBytesIn += o.TextBytesIn
	s.Seconds = max(s.Seconds, o.Seconds)
	s.Files += o.Files
	s.Workers = max(s.Workers, o.Workers)
	for _, m := range []struct {
		dst *map[string]int64
		src map[string]int64
	}{{&s.Languages, o.Languages}, {&s.Errored, o.Errored}, {&s.Skipped, o.Skipped}, {&s.Repaired, o.Repaired}} {
		for k, v := range m.src {
			if *m.dst == nil {
				*m.dst = map[string]int64{}
			}
			(*m.dst)[k] += v
		}
	}
	for i := range s.Stages {
		a, b := &s.Stages[i], o.Stages[i]
		if a.Name != b.Name {
			return fmt.Errorf("merge stats: stage %d is %s vs %s", i, a.Name, b.Name)
		}
		a.DocsIn += b.DocsIn
		a.DocsOut += b.DocsOut
		a.Errored += b.Errored
		a.Rewritten += b.Rewritten
		a.Seconds += b.Seconds
		if a.Dropped == nil {
			a.Dropped = map[string]int64{}
		}
		for k, v := range b.Dropped {
			a.Dropped[k] += v
		}
	}
	s.InputErrors = append(s.InputErrors, o.InputErrors...)
	s.SkippedFiles = append(s.SkippedFiles, o.SkippedFiles...)
	s.RecordErrors = append(s.RecordErrors, o.RecordErrors...)
	if len(s.RecordErrors) > maxRecordErrors {
		s.RecordErrors = s.RecordErrors[:maxRecordErrors]
	}
	return nil
}

// WriteJSON writes s as indented JSON.
func (s *Stats) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Summary writes a short human summary: documents in and out, the drops
// per stage and reason, and throughput.
func (s *Stats) Summary(w io.Writer) {
	text := float64(s.TextBytesIn) / 1e6
	rate := 0.0
	if s.Seconds > 0 {
		rate = text / s.Seconds
	}
	fmt.Fprintf(w, "winnow: %d documents in (%d files, %.1f MB stored, %.1f MB of text) → %d kept, %d rejected, %d errored in %.1fs (%.1f MB/s of text)\n",
		s.DocsIn, s.Files, float64(s.BytesIn)/1e6, text, s.DocsOut, s.DocsRejected, s.DocsErrored, s.Seconds, rate)
	for _, st := range s.Stages {
		fmt.Fprintf(w, "  %-20s %9d in %9d out", st.Name, st.DocsIn, st.DocsOut)
		if len(st.Dropped) > 0 {
			fmt.Fprintf(w, "   dropped: %s", countsString(st.Dropped))
		}
		if st.Rewritten > 0 {
			fmt.Fprintf(w, "   rewritten: %d", st.Rewritten)
		}
		fmt.Fprintln(w)
	}
	if len(s.Languages) > 0 {
		fmt.Fprintf(w, "  languages: %s\n", countsString(s.Languages))
	}
	if len(s.Errored) > 0 {
		fmt.Fprintf(w, "  errored: %s\n", countsString(s.Errored))
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped records: %s\n", countsString(s.Skipped))
	}
	if n := len(s.SkippedFiles); n > 0 {
		f := s.SkippedFiles[0]
		fmt.Fprintf(w, "  skipped files: %d not documents (listed in stats.json), e.g. %s: %s\n", n, f.File, f.Why)
	}
	if len(s.Repaired) > 0 {
		fmt.Fprintf(w, "  repaired: %s\n", countsString(s.Repaired))
	}
	for _, e := range s.InputErrors {
		fmt.Fprintf(w, "  damaged input: %s: byte %d (record %d): %s\n", e.File, e.Position, e.Record, e.Error)
	}
}

// countsString renders counts largest first, ties by name, e.g.
// "en=12 de=3".
func countsString(m map[string]int64) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, m[k])
	}
	return b.String()
}
