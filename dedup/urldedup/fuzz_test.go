package urldedup

import "testing"

// FuzzNormalize: any string gives a key, the same each time, without
// panicking.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "http://a.b/c?d#e", "HTTPS://X.ORG:443", "//host/path", "http://[::1]:80/", "mailto:x@y", "http://%zz/", "http://a b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Normalize(s)
		if k != Normalize(s) {
			t.Fatalf("Normalize(%q) not deterministic", s)
		}
	})
}
