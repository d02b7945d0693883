package urlfilter

import (
	"strings"
	"testing"
)

// FuzzCheck: list parsing and URL checks never panic; a listed URL is
// always blocked.
func FuzzCheck(f *testing.F) {
	f.Add("bad-example.com\nhttp://pages.example/forum/\n", "https://www.bad-example.com:8080/x?y#z")
	f.Add("*.wild.example\n# comment\n", "http://[2001:db8::1]:80/porn")
	f.Add("a/b\n", "//a/b/c")
	f.Add("", "user@host@x.example/hot-sex")
	f.Fuzz(func(t *testing.T, list, url string) {
		fl := NewFilter(DefaultBannedWords, DefaultSoftBannedWords, DefaultSoftBannedMin)
		if err := fl.read(strings.NewReader(list), ""); err != nil {
			return
		}
		v := fl.Check(url)
		if v.Listed != (v.Blocked == "blocked_domain" || v.Blocked == "blocked_url") {
			t.Fatalf("inconsistent verdict %+v", v)
		}
		if k := urlKey(url); k != "" && !strings.ContainsAny(url, " \t\n\r#") {
			fl.AddURL(url)
			if v := fl.Check(url); !v.Listed {
				t.Fatalf("listed URL %q (key %q) not blocked", url, k)
			}
		}
	})
}
