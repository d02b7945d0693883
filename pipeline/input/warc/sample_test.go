package warc

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// The sample crawls in testdata are small WARCs for end-to-end tests of
// the command line: WINNOW_WRITE_SAMPLES=1 go test -run Samples rewrites
// them.

func samplePage(lang, title, body string) string {
	return fmt.Sprintf(`<!DOCTYPE html><html lang="%s"><head><meta charset="utf-8"><title>%s</title></head><body>
<div class="cookie-banner">We use cookies. <a href="/ok">OK</a></div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/about">About</a></li></ul></nav>
<main><article><h1>%s</h1>%s</article></main>
<footer>&copy; 2024 Example Media. All rights reserved.</footer></body></html>`, lang, title, title, body)
}

func sampleRecords() [][]byte {
	en := samplePage("en", "Tides explained", `<p>The Moon's gravity pulls the oceans into two bulges, and the Earth turns beneath them, so most coasts see two high tides a day.</p>
<p>Spring tides come when the Sun and the Moon line up; neap tides when they pull at right angles.</p>
<pre>height(t) = A * cos(w * t + phi)</pre>`)
	de := samplePage("de", "Gezeiten erklärt", `<p>Die Schwerkraft des Mondes zieht die Ozeane zu zwei Flutbergen, unter denen sich die Erde dreht; deshalb gibt es an den meisten Küsten zweimal am Tag Hochwasser.</p>
<p>Springtiden entstehen, wenn Sonne und Mond in einer Linie stehen.</p>`)
	fr := samplePage("fr", "Les marées expliquées", `<p>La gravité de la Lune attire les océans en deux bourrelets, et la Terre tourne en dessous : la plupart des côtes connaissent deux marées hautes par jour.</p>`)
	return [][]byte{
		rec("warcinfo", "", "application/warc-fields", []byte("software: winnow sample\r\nformat: WARC File Format 1.1\r\n")),
		rec("request", "https://example.com/en/tides", "application/http; msgtype=request", []byte("GET /en/tides HTTP/1.1\r\nHost: example.com\r\n\r\n")),
		response("https://example.com/en/tides", 200, en, "Content-Type: text/html; charset=utf-8"),
		rec("metadata", "https://example.com/en/tides", "application/warc-fields", []byte("fetchTimeMs: 85\r\n")),
		response("https://example.com/de/gezeiten", 200, string(gz([]byte(de))), "Content-Type: text/html; charset=utf-8", "Content-Encoding: gzip"),
		response("https://example.com/missing", 404, "<html><body>Not found</body></html>", "Content-Type: text/html"),
		response("https://example.com/logo.png", 200, "\x89PNG\r\n\x1a\n....", "Content-Type: image/png"),
		response("https://example.com/fr/marees", 200, fr, "Content-Type: text/html; charset=utf-8"),
	}
}

func sampleFiles() map[string][]byte {
	recs := sampleRecords()
	intact := gzEach(recs...)
	damaged := make([][]byte, len(recs))
	for i, r := range recs {
		damaged[i] = gz(r)
	}
	// Cut the German page's member and put junk before the French one.
	damaged[4] = damaged[4][:len(damaged[4])/2]
	damaged[7] = append([]byte("\x00\x00junk between members\n"), damaged[7]...)
	wet := bytes.Join([][]byte{
		rec("warcinfo", "", "application/warc-fields", []byte("software: winnow sample\r\n")),
		rec("conversion", "https://example.com/en/tides", "text/plain", []byte("Tides explained\nThe Moon's gravity pulls the oceans into two bulges.")),
		rec("conversion", "https://example.com/fr/marees", "text/plain", []byte("Les marées expliquées\nLa gravité de la Lune attire les océans.")),
	}, nil)
	return map[string][]byte{
		"testdata/sample.warc.gz":         intact,
		"testdata/sample-damaged.warc.gz": bytes.Join(damaged, nil),
		"testdata/sample.warc.wet.gz":     gz(wet),
	}
}

func TestSamples(t *testing.T) {
	files := sampleFiles()
	if os.Getenv("WINNOW_WRITE_SAMPLES") == "1" {
		for name, data := range files {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range map[string]string{
		"testdata/sample.warc.gz": "skip:warcinfo skip:request doc:https://example.com/en/tides skip:metadata doc:https://example.com/de/gezeiten " +
			"skip:status_404 skip:non_text doc:https://example.com/fr/marees",
		"testdata/sample-damaged.warc.gz": "skip:warcinfo skip:request doc:https://example.com/en/tides skip:metadata error:damaged_record damage " +
			"skip:status_404 skip:non_text damage doc:https://example.com/fr/marees",
		"testdata/sample.warc.wet.gz": "skip:warcinfo doc:https://example.com/en/tides doc:https://example.com/fr/marees",
	} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := kinds(collect(t, testSource(data))); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
		}
	}
}
