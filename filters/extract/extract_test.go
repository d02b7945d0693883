package extract

import (
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

func extract(html string) Result {
	return New(DefaultOptions()).Extract([]byte(html))
}

// article wraps body in a page whose main content is marked.
func article(body string) string {
	return "<html><body><nav><a href=/>Home</a></nav><main>" + body + "</main></body></html>"
}

func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name, html, want string
	}{
		{"paragraphs and headings are plain lines",
			article("<h1>Title</h1><p>First <b>bold</b> and <em>em</em> words.</p><h2>Sub</h2><p>Second.</p>"),
			"Title\nFirst bold and em words.\nSub\nSecond."},
		{"lists are lines without markers",
			article("<ul><li>one</li><li>two<li>three</ul><ol><li>first</li></ol>"),
			"one\ntwo\nthree\nfirst"},
		{"tables are rows of tab-separated cells",
			article("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"),
			"a\tb\n1\t2"},
		{"pre keeps indentation and line breaks",
			article("<p>Code:</p><pre><code>if x {\n\t<span>y()</span>\n}\n</code></pre>"),
			"Code:\nif x {\n\ty()\n}"},
		{"inline code keeps its text",
			article("<p>Call <code>f(x)</code> now.</p>"),
			"Call f(x) now."},
		{"no markdown for links and emphasis",
			article("<p>See <a href='/x'>the <strong>docs</strong></a> for *more*.</p>"),
			"See the docs for *more*."},
		{"white space collapses, br breaks the line",
			article("<p>  a \n\t b<br>c&nbsp;&nbsp;d </p>"),
			"a b\nc d"},
		{"entities are decoded",
			article("<p>&lt;tag&gt; &amp; &eacute;t&eacute; &#8212; &#x41;</p>"),
			"<tag> & été — A"},
		{"MathML prefers the TeX annotation",
			article(`<p>Euler: <math><semantics><mrow><msup><mi>e</mi><mrow><mi>i</mi><mi>π</mi></mrow></msup></mrow><annotation encoding="application/x-tex">e^{i\pi}</annotation></semantics></math>.</p>`),
			`Euler: e^{i\pi} .`},
		{"MathML without annotation gives its tokens",
			article(`<p>So <math><mi>x</mi><mo>=</mo><mn>1</mn></math> holds.</p>`),
			"So x = 1 holds."},
		{"display math is its own line",
			article(`<p>Then<math display="block"><mi>y</mi></math>follows.</p>`),
			"Then\ny\nfollows."},
		{"MathJax script keeps its TeX",
			article(`<p>Let <script type="math/tex">a<b</script> be.</p>`),
			"Let a<b be."},
		{"formula image alt is kept",
			article(`<p>Area <img alt="\pi r^2" src=a.png> of a disc.</p>`),
			`Area \pi r^2 of a disc.`},
		{"descriptive image alt is kept, icons are not",
			article(`<p><img alt="A heron standing in shallow water"> <img alt="icon"> <a href=/><img alt="Go to the home page now"></a>Birds.</p>`),
			"A heron standing in shallow water Birds."},
		{"script, style, forms and hidden text go",
			article(`<script>var x=1</script><style>p{}</style><p>Kept.</p><form><input value=v><button>Send</button></form><p hidden>h</p><p style="display: none">h2</p><span class="sr-only">h3</span><div aria-hidden="true">h4</div>`),
			"Kept."},
		{"furniture by tag and class goes",
			article(`<p>Body text.</p><aside><p>aside</p></aside><div class="share-buttons"><p>share</p></div><div id="comments"><p>comment</p></div><footer><p>foot</p></footer>`),
			"Body text."},
		{"link-dense blocks go",
			article(`<p>Real sentence with a <a href=/>link</a> inside.</p><p><a href=/a>Prev</a> | <a href=/b>Next</a></p>`),
			"Real sentence with a link inside."},
		{"furniture phrases go",
			article(`<p>Story.</p><p>All rights reserved.</p><p>Share this article</p>`),
			"Story."},
		{"comments of the page are not text",
			article(`<p>a<!-- hidden <p>b</p> -->c</p>`),
			"ac"},
		{"a class word inside pre does not drop code",
			article(`<pre><span class="comment"># note</span>
x = 1</pre>`),
			"# note\nx = 1"},
		{"a header inside the article keeps the headline",
			`<body><header class="site-header"><a href=/>Site</a></header><article><header><h1>Headline</h1></header><p>Text of the story.</p></article></body>`,
			"Headline\nText of the story."},
		{"the headline just outside the main container is kept",
			`<body><h1>Outside headline</h1><div class="entry-content"><p>` + strings.Repeat("Long body text. ", 20) + `</p></div><div class="sidebar"><p>Side</p></div></body>`,
			"Outside headline\n" + strings.TrimSpace(strings.Repeat("Long body text. ", 20))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := extract(tc.html).Text; got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestTitleAndLang(t *testing.T) {
	r := extract("<html LANG=' PT-br '><head><title>\n A &amp; B \n</title></head><body><p>x</p></body></html>")
	if r.Title != "A & B" || r.Lang != "pt-br" {
		t.Errorf("title %q lang %q", r.Title, r.Lang)
	}
}

func TestNoMarkdownMarkers(t *testing.T) {
	page := article(`<h1>H</h1><h2>H2</h2><p><em>e</em> <strong>s</strong> <a href="http://x">l</a></p><ul><li>i</li></ul><table><tr><td>c</td><td>d</td></tr></table><blockquote>q</blockquote><hr>`)
	got := extract(page).Text
	for _, m := range []string{"#", "*", "_", "[", "](", "|", "> ", "---"} {
		if strings.Contains(got, m) {
			t.Errorf("output %q holds the markdown marker %q", got, m)
		}
	}
}

// TestHostile checks that pathological pages finish quickly with bounded
// output: deep nesting, unclosed tags, a huge attribute, an unterminated
// comment, a lone '<' flood.
func TestHostile(t *testing.T) {
	for name, page := range map[string]string{
		"deep nesting":      strings.Repeat("<div>", 200000) + "deep" + strings.Repeat("</div>", 200000),
		"unclosed":          strings.Repeat("<p><b><i>x", 100000),
		"huge attribute":    `<p title="` + strings.Repeat("a", 1<<20) + `">t</p>`,
		"open comment":      "<p>a</p><!-- " + strings.Repeat("x", 1<<20),
		"angle flood":       strings.Repeat("<", 1<<20),
		"end tags only":     strings.Repeat("</div></p></li>", 100000),
		"unterminated tag":  "<p>ok</p><div class='" + strings.Repeat("x", 1<<20),
		"raw text unclosed": "<p>ok</p><script>" + strings.Repeat("</scrip", 100000),
	} {
		t.Run(name, func(t *testing.T) {
			r := extract(page)
			if len(r.Text) > len(page) {
				t.Errorf("output longer than input")
			}
		})
	}
}

func TestIsHTML(t *testing.T) {
	for _, tc := range []struct {
		ct, text string
		want     bool
	}{
		{`"text/html"`, "anything", true},
		{`"application/xhtml+xml"`, "anything", true},
		{`"text/plain"`, "<html><body>x</body></html>", false},
		{"", "<!DOCTYPE html><p>x", true},
		{"", "  \n<html lang=en>", true},
		{"", "<div><body>x</body></div>", true},
		{"", "<b>bold</b> is a tag, in a plain text", false},
		{"", "plain text mentioning <html>", false},
	} {
		d := &pipeline.Document{Text: tc.text}
		if tc.ct != "" {
			d.SetRawField("content_type", []byte(tc.ct))
		}
		if got := IsHTML(d); got != tc.want {
			t.Errorf("IsHTML(content_type %s, %q) = %v", tc.ct, tc.text, got)
		}
	}
}

func TestStage(t *testing.T) {
	spec, ok := pipeline.Lookup("extract")
	if !ok || !spec.Default || spec.Order != 10 {
		t.Fatalf("extract not registered as a default stage of order 10: %+v", spec)
	}
	params, err := spec.NewParams(map[string]any{"max_link_density": 0.4})
	if err != nil {
		t.Fatal(err)
	}
	st, err := spec.New(params)
	if err != nil {
		t.Fatal(err)
	}

	d := &pipeline.Document{Text: `<html lang="en"><title>T</title><body><p>Hello.</p></body></html>`}
	d.SetRawField("content_type", []byte(`"text/html"`))
	if reason, err := st.Process(d); reason != "" || err != nil {
		t.Fatalf("Process: %q %v", reason, err)
	}
	if d.Text != "Hello." || string(d.Field("title")) != `"T"` || string(d.Field("html_lang")) != `"en"` {
		t.Errorf("got text %q title %s lang %s", d.Text, d.Field("title"), d.Field("html_lang"))
	}

	plain := &pipeline.Document{Text: "Just text <b>with</b> tags."}
	if reason, _ := st.Process(plain); reason != "" || plain.Text != "Just text <b>with</b> tags." || plain.Field("title") != nil {
		t.Errorf("plain document changed: %q %q", reason, plain.Text)
	}

	empty := &pipeline.Document{Text: "<html><body><nav><a href=/>Home</a></nav></body></html>"}
	if reason, _ := st.Process(empty); reason != "empty" {
		t.Errorf("empty page: reason %q, text %q", reason, empty.Text)
	}
}

// TestDeterministic runs the same pages concurrently and sequentially.
func TestDeterministic(t *testing.T) {
	x := New(DefaultOptions())
	pages := []string{
		article("<p>one</p>"),
		"<html><body><div id=main><p>two " + strings.Repeat("words ", 50) + "</p></div></body></html>",
		"<table><tr><td><a href=/>x</a></td><td>three sentences here. And more. And more text to read.</td></tr></table>",
	}
	want := make([]string, len(pages))
	for i, p := range pages {
		want[i] = x.Extract([]byte(p)).Text
	}
	done := make(chan bool)
	for range 4 {
		go func() {
			for range 200 {
				for i, p := range pages {
					if got := x.Extract([]byte(p)).Text; got != want[i] {
						t.Errorf("page %d: got %q want %q", i, got, want[i])
					}
				}
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
}
