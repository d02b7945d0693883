package quality

import (
	"strings"
	"testing"
)

func TestLineRepetitionCoverageByHand(t *testing.T) {
	for _, tc := range []struct {
		line string
		n    int
		want float64
		why  string
	}{
		{"a b c a b c x y z w", 3, 6.0 / 10, `"a b c" at words 0 and 3 covers 6 of 10 one-letter words`},
		{"a b c d e f g h i j", 3, 0, "no 3-gram repeats"},
		{"aa b aa b aa", 2, 8.0 / 8, `"aa b" and "b aa" repeat, overlapping: all 8 letters`},
		{"error x error y error", 1, 15.0 / 17, `"error" thrice: 15 of 17 letters`},
	} {
		a := newAnalysisOf(tc.line)
		sc := getScratch()
		got := dupCoverage(a, 0, a.numWords(), tc.n, sc)
		putScratch(sc)
		if !near(got, tc.want) {
			t.Errorf("%q n=%d: %v, want %v: %s", tc.line, tc.n, got, tc.want, tc.why)
		}
	}
}

func TestLineRepetition(t *testing.T) {
	st, err := NewLineRepetition(DefaultLineRepetition())
	if err != nil {
		t.Fatal(err)
	}
	log := strings.Repeat("ERROR connection refused to host db1 ", 5)
	// 10 one-letter words, "a b c" twice: 6 of 10 covered (0.6 > 0.5).
	over := "a b c a b c d e f g"
	// "a b a" at words 0 and 2 covers words 0–4: 5 of 10 (0.5).
	at := "a b a b a c d e f g"
	for _, tc := range []struct {
		name string
		line string
		kept bool
	}{
		{"prose line: kept", strings.Split(prose, "\n")[2], true},
		{"repeated log message: removed", log, false},
		{"coverage 0.6: removed", over, false},
		{"coverage 0.5 (not above): kept", at, true},
		{"9 words of repeats: too short to judge", "ok ok ok ok ok ok ok ok ok", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good[0] + "\n" + tc.line + "\n" + good[1]
			reason, doc := run(t, st, "en", in)
			if reason != "" {
				t.Fatalf("dropped: %q", reason)
			}
			if got := strings.Contains(doc.Text, tc.line); got != tc.kept {
				t.Errorf("kept %v, want %v (max_line_dup_frac %v)", got, tc.kept, sig(t, doc, "line_repetition.max_line_dup_frac"))
			}
			if !tc.kept && doc.Text != good[0]+"\n"+good[1] {
				t.Errorf("text %q", doc.Text)
			}
		})
	}
	if reason, _ := run(t, st, "en", log); reason != "no_lines_left" {
		t.Errorf("only a log line: %q", reason)
	}
}
