package pipeline

import "testing"

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
