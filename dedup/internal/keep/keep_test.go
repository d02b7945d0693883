package keep

import (
	"testing"
	"time"

	"github.com/winnow-data/winnow/pipeline"
)

func TestPolicyOrder(t *testing.T) {
	older := &pipeline.Document{Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Record: 0}
	newer := &pipeline.Document{Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Record: 1}
	undated := &pipeline.Document{Record: 2}
	low := &pipeline.Document{Record: 3}
	low.SetSignal("q", -2.5)
	high := &pipeline.Document{Record: 4}
	high.SetSignal("q", 0.75)
	tests := []struct {
		keep      string
		want, not *pipeline.Document
	}{
		{"first", older, newer},
		{"most_recent", newer, older},
		{"most_recent", older, undated},
		{"signal:q", high, low},
		{"signal:q", low, undated},
	}
	for _, tt := range tests {
		p, err := Parse(tt.keep)
		if err != nil {
			t.Fatal(err)
		}
		if !Less(p.Key(tt.want), tt.want.Order(), p.Key(tt.not), tt.not.Order()) {
			t.Errorf("keep=%s: record %d should win over record %d", tt.keep, tt.want.Record, tt.not.Record)
		}
	}
	for _, bad := range []string{"last", "signal:", "highest"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
