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
	// Version is winnow's version; Config the run's effective
	// configuration (set by the caller that knows them, pipeline/job).
	Version      string     `json:"version,omitempty"`
	Config       *RunConfig `json:"config,omitempty"`
	DocsIn       int64      `json:"docs_in"`
	DocsOut      int64      `json:"docs_out"`
	DocsRejected int64      `json:"docs_rejected"`
	DocsErrored  int64      `json:"docs_errored"`
	// DocsTagged counts the kept documents that a stage in tag mode
	// would have dropped (a non-empty reasons column); they are in
	// DocsOut.
	DocsTagged int64 `json:"docs_tagged"`
	// BytesIn is the stored size of the input files read, compressed as
	// they are; TextBytesIn the bytes of the documents' text as read.
	BytesIn int64 `json:"bytes_in"`
	// BytesOut is the stored size of the kept shards written (set by the
	// caller that owns the output, pipeline/job).
	BytesOut    int64   `json:"bytes_out"`
	TextBytesIn int64   `json:"text_bytes_in"`
	Seconds     float64 `json:"seconds"`
	Files       int     `json:"files"`
	Workers     int     `json:"workers"`
	// Languages counts kept documents per language code ("und" when no
	// stage set one).
	Languages map[string]int64 `json:"languages"`
	// TokensOut sums the kept documents' TokensField (set by the tokens
	// stage) and TokensByLang splits it by language; both are absent when
	// no document had one.
	TokensOut    int64            `json:"tokens_out,omitempty"`
	TokensByLang map[string]int64 `json:"tokens_by_language,omitempty"`
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
	// ("invalid_utf8": invalid bytes replaced by U+FFFD; "lang_invalid":
	// a lang read from the input that is no ISO 639 code, filed under
	// "und"; "lang_case": one lower-cased, see NormalizeLang).
	Repaired map[string]int64 `json:"repaired"`
	// InputErrors lists files damaged or unreadable, with the position of
	// the damage.
	InputErrors []InputError `json:"input_errors"`
	// RecordErrors samples errored records, with file and position: the
	// first few of every file (the counts are in Errored, and per file in
	// Inputs).
	RecordErrors []InputError `json:"record_errors"`
	// Inputs lists the input files in input order with their stored
	// size and what became of their records.
	Inputs []InputFile `json:"inputs"`
}

// InputFile is one input file's accounting.
type InputFile struct {
	File        string `json:"file"`
	Bytes       int64  `json:"bytes"`
	DocsIn      int64  `json:"docs_in"`
	DocsErrored int64  `json:"docs_errored"`
	// Errored counts the file's errored records by reason, and
	// FirstError is the first one's message.
	Errored    map[string]int64 `json:"errored,omitempty"`
	FirstError string           `json:"first_error,omitempty"`
}

// RunConfig is a run's effective configuration: what was asked, after
// defaults.
type RunConfig struct {
	Mode   string        `json:"mode"`
	Stages []StageConfig `json:"stages"`
	// Settings holds the run's other settings (inputs, output, fields,
	// workers...), under their config-file names.
	Settings map[string]any `json:"settings,omitempty"`
}

// StageConfig is one stage's effective configuration.
type StageConfig struct {
	Name   string         `json:"name"`
	Mode   string         `json:"mode"`
	Params map[string]any `json:"params"`
	// Set names the parameters the configuration gave; the others hold
	// their defaults.
	Set []string `json:"set,omitempty"`
}

// StageStats is one stage's accounting.
type StageStats struct {
	Name    string `json:"name"`
	DocsIn  int64  `json:"docs_in"`
	DocsOut int64  `json:"docs_out"`
	// Dropped counts the documents the stage dropped by reason — in
	// tag mode (Mode "tag") those it would have dropped and tagged.
	Dropped map[string]int64 `json:"dropped"`
	Errored int64            `json:"errored"`
	// Mode is "tag" for a stage in tag mode, empty in filter mode.
	Mode string `json:"mode,omitempty"`
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

// maxRecordErrors bounds the sample of record errors kept in Stats, and
// maxFileRecordErrors the sample of one file, so every file with errors
// is represented.
const (
	maxRecordErrors     = 1000
	maxFileRecordErrors = 3
)

func newStats(stages []Stage) *Stats {
	s := &Stats{
		Languages:    map[string]int64{},
		Errored:      map[string]int64{},
		Skipped:      map[string]int64{},
		Repaired:     map[string]int64{},
		Stages:       make([]StageStats, len(stages)),
		InputErrors:  []InputError{},
		RecordErrors: []InputError{},
		Inputs:       []InputFile{},
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
	s.DocsTagged += o.DocsTagged
	s.BytesIn += o.BytesIn
	s.BytesOut += o.BytesOut
	s.TokensOut += o.TokensOut
	s.Version = cmp.Or(s.Version, o.Version)
	if s.Config == nil {
		s.Config = o.Config
	}
	s.TextBytesIn += o.TextBytesIn
	s.Seconds = max(s.Seconds, o.Seconds)
	s.Files += o.Files
	s.Workers = max(s.Workers, o.Workers)
	for _, m := range []struct {
		dst *map[string]int64
		src map[string]int64
	}{{&s.Languages, o.Languages}, {&s.TokensByLang, o.TokensByLang}, {&s.Errored, o.Errored}, {&s.Skipped, o.Skipped}, {&s.Repaired, o.Repaired}} {
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
		a.Mode = cmp.Or(a.Mode, b.Mode)
		a.Seconds += b.Seconds
		if a.Dropped == nil {
			a.Dropped = map[string]int64{}
		}
		for k, v := range b.Dropped {
			a.Dropped[k] += v
		}
	}
	s.InputErrors = append(s.InputErrors, o.InputErrors...)
	s.Inputs = append(s.Inputs, o.Inputs...)
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
	fmt.Fprintf(w, "winnow %s: %d documents in (%d files, %.1f MB stored, %.1f MB of text) → %d kept (%.1f MB stored), %d rejected, %d errored in %.1fs (%.1f MB/s of text)\n",
		cmp.Or(s.Version, "(devel)"), s.DocsIn, s.Files, float64(s.BytesIn)/1e6, text, s.DocsOut, float64(s.BytesOut)/1e6, s.DocsRejected, s.DocsErrored, s.Seconds, rate)
	if c := s.Config; c != nil {
		var set []string
		for _, st := range c.Stages {
			for _, k := range st.Set {
				set = append(set, fmt.Sprintf("%s.%s=%v", st.Name, k, st.Params[k]))
			}
		}
		fmt.Fprintf(w, "  config: mode %s, %d stages", c.Mode, len(c.Stages))
		if len(set) > 0 {
			fmt.Fprintf(w, ", set: %s", strings.Join(set, " "))
		}
		fmt.Fprintln(w)
	}
	if s.TokensOut > 0 {
		fmt.Fprintf(w, "  tokens: %d kept", s.TokensOut)
		langs := slices.Sorted(maps.Keys(s.TokensByLang))
		slices.SortStableFunc(langs, func(a, b string) int { return cmp.Compare(s.TokensByLang[b], s.TokensByLang[a]) })
		for i, l := range langs {
			if i == 8 {
				fmt.Fprintf(w, " …")
				break
			}
			fmt.Fprintf(w, " %s=%d", l, s.TokensByLang[l])
		}
		fmt.Fprintln(w)
	}
	if s.DocsTagged > 0 {
		fmt.Fprintf(w, "  tag mode: %d of the %d kept would have been dropped (non-empty reasons column)\n", s.DocsTagged, s.DocsOut)
	}
	for _, st := range s.Stages {
		fmt.Fprintf(w, "  %-20s %9d in %9d out", st.Name, st.DocsIn, st.DocsOut)
		if len(st.Dropped) > 0 {
			verb := "dropped"
			if st.Mode == Tag.String() {
				verb = "tagged"
			}
			fmt.Fprintf(w, "   %s: %s", verb, countsString(st.Dropped))
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
	s.FailingFiles(w)
}

// FailingFiles writes one line per input file most of whose records
// errored: the file, the count, the commonest reason and the first
// error's message (a misspelt --text-field, a file that is not in the
// format its name says).
func (s *Stats) FailingFiles(w io.Writer) {
	for _, f := range s.Inputs {
		if f.DocsErrored == 0 || 2*f.DocsErrored < f.DocsIn {
			continue
		}
		top, n := "", int64(0)
		for r, c := range f.Errored {
			if c > n || c == n && r < top {
				top, n = r, c
			}
		}
		fmt.Fprintf(w, "  %s: %d of %d records errored, %d as %s; first: %s\n", f.File, f.DocsErrored, f.DocsIn, n, top, f.FirstError)
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
