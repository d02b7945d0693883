package pipeline

import "testing"

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in      string
		tag, ok bool
	}{{"", false, true}, {"filter", false, true}, {"tag", true, true}, {"Tag", false, false}, {"drop", false, false}} {
		tag, err := ParseMode(tc.in)
		if tag != tc.tag || (err == nil) != tc.ok {
			t.Errorf("ParseMode(%q) = %v, %v", tc.in, tag, err)
		}
	}
}
