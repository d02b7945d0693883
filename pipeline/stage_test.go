package pipeline

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
		ok   bool
	}{{"", Filter, true}, {"filter", Filter, true}, {"tag", Tag, true}, {"Tag", Filter, false}, {"drop", Filter, false}} {
		m, err := ParseMode(tc.in)
		if m != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseMode(%q) = %v, %v", tc.in, m, err)
		}
	}
}

func TestParamBounds(t *testing.T) {
	spec := Spec{Name: "s", Params: []Param{
		{Name: "n", Default: 5, Min: Bound(1), Max: Bound(1024)},
		{Name: "f", Default: 0.5, Min: Bound(0), Max: Bound(1)},
		{Name: "free", Default: 3},
	}}
	for _, tc := range []struct {
		settings map[string]any
		err      string // "" when accepted
	}{
		{map[string]any{"n": 1, "f": 0.0}, ""},
		{map[string]any{"n": 1024, "f": 1.0}, ""},
		{map[string]any{"n": 1_000_000_000}, "stage s: parameter n: 1000000000 is outside 1..1024"},
		{map[string]any{"n": 0}, "outside 1..1024"},
		{map[string]any{"n": "-3"}, "outside 1..1024"},
		{map[string]any{"f": 1.5}, "parameter f: 1.5 is outside 0..1"},
		{map[string]any{"free": -1 << 40}, ""},
	} {
		_, err := spec.NewParams(tc.settings)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: error %v, want %q", tc.settings, err, tc.err)
		}
	}
}
