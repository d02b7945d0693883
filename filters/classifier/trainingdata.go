package classifier

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/winnow-data/winnow/pipeline"
)

// TrainingData converts labelled records (JSONL, Parquet, any format
// winnow reads) into fastText's training format, one line per record:
// "__label__<label> ... <text>", the text on one line. The label is the
// record's LabelField: a string, a number, or a list of them (several
// labels); records without one are counted in Unlabelled and left out.
type TrainingData struct {
	LabelField string
	// Lines and Unlabelled count the records written and left out.
	Lines, Unlabelled int64
	Stats             *pipeline.Stats
}

// Write reads sources in order and writes their training lines to w.
func (t *TrainingData) Write(ctx context.Context, w io.Writer, sources []pipeline.Source, workers int) error {
	s := &trainingSink{t: t, w: bufio.NewWriterSize(w, 1<<16)}
	stats, err := pipeline.Run(ctx, sources, s, pipeline.Options{Workers: workers})
	t.Stats = stats
	if err != nil {
		return err
	}
	return s.err
}

// trainingSink writes kept documents as they arrive, in input order.
type trainingSink struct {
	t      *TrainingData
	w      *bufio.Writer
	labels []string
	err    error
}

func (s *trainingSink) Write(docs []*pipeline.Document) error {
	for _, d := range docs {
		labels, err := parseLabels(d.Field(s.t.LabelField), s.labels[:0])
		if err != nil {
			return fmt.Errorf("record %s: field %s: %w", d.ID, s.t.LabelField, err)
		}
		s.labels = labels
		if len(labels) == 0 {
			s.t.Unlabelled++
			continue
		}
		for _, l := range labels {
			s.w.WriteString(l)
			s.w.WriteByte(' ')
		}
		s.w.WriteString(OneLine(d.Text))
		if err := s.w.WriteByte('\n'); err != nil {
			return err
		}
		s.t.Lines++
	}
	return nil
}

func (s *trainingSink) Reject([]*pipeline.Document, []string) error { return nil }
func (s *trainingSink) Close() error                                { return s.w.Flush() }
func (s *trainingSink) Abort() error                                { return nil }

// parseLabels reads a label field: a string, a number or a boolean, or a
// list of them; each becomes "__label__" + its text, spaces replaced by
// '_' (a label is one token). Null or absent gives none.
func parseLabels(raw json.RawMessage, dst []string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return dst, nil
	}
	var vals []any
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &vals); err != nil {
			return dst, err
		}
	} else {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return dst, err
		}
		vals = []any{v}
	}
	for _, v := range vals {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64, bool:
			s = fmt.Sprint(x)
		case nil:
			continue
		default:
			return dst, fmt.Errorf("label %v is not a string, number or boolean", v)
		}
		s = strings.Join(strings.Fields(s), "_")
		if s == "" {
			continue
		}
		if !strings.HasPrefix(s, "__label__") {
			s = "__label__" + s
		}
		dst = append(dst, s)
	}
	return dst, nil
}

// OneLine puts text on one line for fastText: newlines become spaces, as
// the classifier stage's prediction sees them.
func OneLine(text string) string {
	if !strings.ContainsAny(text, "\n") {
		return text
	}
	return strings.ReplaceAll(text, "\n", " ")
}
