package urlfilter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "block.txt")
	write(t, plain, "# my list\nbad-example.com\n*.wild.example.net\nsub.mixed.org\nhttp://www.pages.example/forum/\n\nnot a domain\n")
	ut1 := filepath.Join(dir, "ut1")
	write(t, filepath.Join(ut1, "adult", "domains"), "adultsite.example\n")
	write(t, filepath.Join(ut1, "adult", "urls"), "freehost.example/~naughty\n")
	write(t, filepath.Join(ut1, "gambling", "domains"), "casino.example\n")
	s, err := New(Config{BlockLists: []string{plain, ut1}, Categories: []string{"adult"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ url, want string }{
		{"https://bad-example.com/page", "blocked_domain"},
		{"https://WWW.Bad-Example.com:8080/x", "blocked_domain"}, // subdomain, case, port
		{"https://notbad-example.com/", ""},                      // suffix is not a parent domain
		{"http://a.b.wild.example.net/", "blocked_domain"},
		{"http://mixed.org/", ""}, // only the listed subdomain is blocked
		{"http://x.sub.mixed.org/", "blocked_domain"},
		{"https://pages.example/forum/thread?id=1", "blocked_url"},
		{"https://pages.example/forum", "blocked_url"},
		{"https://pages.example/forums", ""},
		{"https://pages.example/", ""},
		{"https://adultsite.example/", "blocked_domain"}, // UT1 category chosen
		{"https://casino.example/", ""},                  // category not chosen
		{"http://freehost.example/~naughty/pics.html", "blocked_url"},
		{"http://freehost.example/~nice/", ""},
		{"https://user:pw@bad-example.com/", "blocked_domain"},
		// banned words: whole URL words only
		{"https://example.com/free-porn-videos", "banned_word"},
		{"https://example.com/pornography-research", ""}, // not the word "porn"
		{"https://XXX.example.com/", "banned_word"},
		{"https://example.com/sex-education", ""},                   // one soft word
		{"https://example.com/hot-sex-videos", "soft_banned_words"}, // two
		{"https://example.com/ford-escort-review", ""},
		{"https://example.org/gay-dating-advice", ""},
		{"https://example.org/lesbian-teen-support", ""},
		{"not a url at all", ""},
	} {
		d := &pipeline.Document{URL: c.url}
		got, err := s.Process(d)
		if err != nil || got != c.want {
			t.Errorf("%s: %q (err %v), want %q", c.url, got, err, c.want)
		}
	}
	if d, u := s.Filter().Len(); d != 4 || u != 2 {
		t.Errorf("loaded %d domains and %d URLs, want 4 and 2", d, u)
	}
}

func TestNoURLPasses(t *testing.T) {
	s, _ := New(Config{})
	d := &pipeline.Document{Text: "porn"}
	if r, _ := s.Process(d); r != "" || len(d.Signals) != 0 {
		t.Errorf("document without URL: %q %v", r, d.Signals)
	}
}

func TestSoftBannedMin(t *testing.T) {
	// Just below and just above the threshold of 3.
	s, _ := New(Config{SoftBannedMin: 3})
	if r, _ := s.Process(&pipeline.Document{URL: "http://x.example/hot-sex"}); r != "" {
		t.Errorf("two soft words, min 3: %q", r)
	}
	if r, _ := s.Process(&pipeline.Document{URL: "http://x.example/hot-sex-cams"}); r != "soft_banned_words" {
		t.Errorf("three soft words, min 3: %q", r)
	}
	off, _ := New(Config{BannedWords: []string{}, SoftBannedWords: []string{}})
	if r, _ := off.Process(&pipeline.Document{URL: "http://porn.example/"}); r != "" {
		t.Errorf("rules off: %q", r)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := New(Config{BlockLists: []string{"/nonexistent/list"}}); err == nil || !strings.Contains(err.Error(), "/nonexistent/list") {
		t.Errorf("missing list: %v", err)
	}
	if _, err := New(Config{BlockLists: []string{t.TempDir()}}); err == nil {
		t.Error("empty folder accepted")
	}
}

func TestLongURL(t *testing.T) {
	s, _ := New(Config{})
	u := "http://" + strings.Repeat("a.", 1<<18) + "example/" + strings.Repeat("x", 1<<20)
	if r, _ := s.Process(&pipeline.Document{URL: u}); r != "" {
		t.Errorf("%q", r)
	}
}
