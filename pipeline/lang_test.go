package pipeline

import "testing"

func TestNormalizeLang(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "und", true},
		{"en", "en", true},
		{"EN", "en", true},
		{"Deu", "deu", true},
		{"und", "und", true},
		{"e", "und", false},
		{"engl", "und", false},
		{"en-US", "und", false},
		{"zh_Hant", "und", false},
		{"../../evil", "und", false},
		{"rejected", "und", false},
		{"_launch", "und", false},
		{"-", "und", false},
		{"é", "und", false},
		{"e\x00", "und", false},
	} {
		got, ok := NormalizeLang(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeLang(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Whatever the data holds, the code names a safe directory, one per
// language whatever its case, and normalising twice changes nothing.
func FuzzNormalizeLang(f *testing.F) {
	for _, s := range []string{"", "en", "EN", "../x", "zh-Hant", "deu"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := NormalizeLang(s)
		if code != "und" {
			if len(code) < 2 || len(code) > 3 {
				t.Fatalf("%q → %q", s, code)
			}
			for i := 0; i < len(code); i++ {
				if code[i] < 'a' || code[i] > 'z' {
					t.Fatalf("%q → %q", s, code)
				}
			}
		}
		if !ok && code != "und" {
			t.Fatalf("%q → %q but not ok", s, code)
		}
		if again, ok2 := NormalizeLang(code); again != code || !ok2 {
			t.Fatalf("%q → %q → %q", s, code, again)
		}
	})
}
