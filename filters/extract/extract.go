// Package extract is the extract stage: main-content extraction from HTML,
// the first step of web-data curation in Llama 3 (The Llama 3 Herd of
// Models, section 3.1.1, "Text extraction and cleaning"): a parser that
// removes boilerplate, keeps code and mathematics as they are, and writes
// plain text without markdown markers, which the paper found to hurt
// models trained mostly on web data.
//
// # What is kept
//
// A page is tokenized into a light tree, and its text taken from the
// main-content container when the page marks one (main, article,
// role=main, itemprop=articleBody, or a class or id such as "content",
// "entry-content", "article-body") that holds at least a quarter of the
// page's text; otherwise from the container that holds most of the text
// outside links (from the body down, the child holding 70% of it, as
// long as there is one), which leaves navigation columns and footers of
// unmarked pages behind. Within it,
// page furniture is removed by structure — nav, aside, footer, form and
// menu elements; a header outside the main content; ARIA navigation,
// banner, contentinfo, complementary and search landmarks; containers
// whose class or id names furniture (nav, menu, sidebar, footer,
// breadcrumb, cookie, consent, banner, ad, share, social, comments,
// related, newsletter, pagination, ...), unless one holds most of the
// page's text; hidden elements — and by text density: a block whose text
// is mostly link text is dropped, and without a main container a short
// block is kept only between kept blocks (the context rule of jusText).
//
// The text is written as plain lines: one per paragraph, heading, list
// item and definition; table rows as cells separated by a tab; <pre>
// verbatim with its indentation and line breaks; MathML as its TeX
// annotation when it has one, else its text; MathJax's <script
// type="math/tex"> as its TeX; an image's alt text when it reads as a
// formula or as a sentence of four words or more outside a link. No
// markdown is added: no "#" headings, emphasis, link syntax or table pipes.
//
// The page's <title> becomes the field title and <html lang> the field
// html_lang (lower case), a hint for language identification.
//
// # Which documents
//
// A document is HTML when its content_type field (set by the WARC reader)
// is text/html or application/xhtml+xml. Without that field, it is HTML
// when its text starts, after white space, with "<!doctype html", "<html",
// or with "<" and has an <html>, <head> or <body> tag in its first 1 KiB;
// other documents pass unchanged, so plain-text corpora run through the
// default pipeline untouched. A page left with no text is dropped as
// extract.empty.
//
// # Cost
//
// Time is linear in the page: one tokenizer pass, a few passes over the
// element list and one over the kept text. The tokenizer is hand-written
// (see tokenizer.go): golang.org/x/net/html's allocates per tag and per
// attribute and took two thirds of the time. Common character references
// are decoded in place, the rest by x/net/html. The element stack is
// bounded (256 deep) as is the element count, and pages are cut at
// max_html_bytes (bytes past it are not read), so hostile or enormous HTML
// cannot hang a worker or exhaust its memory. Scratch space is pooled per
// worker; a page costs a handful of allocations.
package extract

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/html/atom"

	"github.com/winnow-data/winnow/pipeline"
)

// Options control extraction.
type Options struct {
	// FavourPrecision restricts the text to the main-content container
	// when the page has one.
	FavourPrecision bool
	// IncludeTables keeps table rows.
	IncludeTables bool
	// IncludeImages keeps meaningful image alt text.
	IncludeImages bool
	// MaxLinkDensity is the largest share of a block's text inside links
	// for the block to be kept.
	MaxLinkDensity float64
	// MaxHTMLBytes cuts longer pages; 0 means no limit.
	MaxHTMLBytes int
}

// DefaultOptions are the stage's defaults.
func DefaultOptions() Options {
	return Options{FavourPrecision: true, IncludeTables: true, IncludeImages: true, MaxLinkDensity: 0.5, MaxHTMLBytes: 8 << 20}
}

// Result is what Extract finds in a page.
type Result struct {
	Text  string // main content as plain lines
	Title string // <title>, white space collapsed
	Lang  string // <html lang>, lower case
}

// Extractor extracts main content; it is safe for concurrent use.
type Extractor struct {
	opts Options
	pool sync.Pool
}

// New returns an extractor with opts.
func New(opts Options) *Extractor {
	e := &Extractor{opts: opts}
	e.pool.New = func() any { return new(scratch) }
	return e
}

type scratch struct {
	p page
	r renderer
	b []byte
}

// Extract returns the main content of the HTML page src.
func (e *Extractor) Extract(src []byte) Result {
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	if e.opts.MaxHTMLBytes > 0 && len(src) > e.opts.MaxHTMLBytes {
		src = utf8Prefix(src, e.opts.MaxHTMLBytes)
	}
	p := &s.p
	p.parse(src)
	res := Result{Title: collapse(p.title), Lang: p.lang}
	root := p.analyse(&e.opts)
	r := &s.r
	r.reset(p, &e.opts)
	if h := p.outsideHeading(root); h >= 0 {
		r.render(h)
	}
	r.render(root)
	keep := r.judge(root != 0)
	s.b = s.b[:0]
	for i, l := range r.lines {
		if !keep[i] {
			continue
		}
		if len(s.b) > 0 {
			s.b = append(s.b, '\n')
		}
		s.b = append(s.b, r.out[l.start:l.end]...)
	}
	res.Text = string(s.b)
	if cap(s.b) > 4<<20 {
		s.b = nil // do not pool huge buffers
	}
	return res
}

// analyse counts text per node, settles which soft boilerplate to keep
// and returns the root to extract from.
func (p *page) analyse(opts *Options) int32 {
	ns := p.nodes
	// Own text of each node.
	own := grow(&p.own, len(ns))
	for _, o := range p.ops {
		if o.kind == opText {
			own[o.node] += int32(nonSpace(p.text[o.text.start:o.text.end]))
		}
	}
	// Everything visible, furniture included.
	for i := len(ns) - 1; i >= 0; i-- {
		n := &ns[i]
		if n.flags&(fSkip|fHidden) != 0 {
			continue
		}
		n.all += own[i]
		if n.parent >= 0 {
			ns[n.parent].all += n.all
		}
	}
	// A page header holding the page's headline is content: site
	// headers whose headline is a link lose it to link density.
	h1s := 0
	for i := 1; i < len(ns) && h1s < 8; i++ {
		if ns[i].tag != atom.H1 || ns[i].flags&(fSkip|fHidden|fLink) != 0 {
			continue
		}
		h1s++
		for a := ns[i].parent; a > 0; a = ns[a].parent {
			if ns[a].flags&fHeader != 0 {
				ns[a].flags &^= fBoilerSoft | fHeader
				ns[a].flags |= fKeptHeader
			}
		}
	}
	// Soft furniture holding most of the page is the page.
	total := ns[0].all
	for i := range ns {
		if ns[i].flags&fBoilerSoft != 0 && ns[i].all*2 > total {
			ns[i].flags &^= fBoilerSoft
		}
	}
	for i := len(ns) - 1; i >= 0; i-- {
		n := &ns[i]
		if n.flags&(fSkip|fHidden) != 0 {
			continue
		}
		n.text += own[i]
		if n.flags&fLink != 0 {
			n.link += own[i]
		}
		if n.parent >= 0 && !dropped(n) {
			ns[n.parent].text += n.text
			ns[n.parent].link += n.link
		}
	}
	if !opts.FavourPrecision {
		return 0
	}
	// The best main-content candidate outside furniture: the one with
	// the most text outside links, which is the outermost of nested ones.
	inDropped := grow(&p.inDropped, len(ns))
	best, bestScore := int32(-1), int32(0)
	for i := 1; i < len(ns); i++ {
		n := &ns[i]
		inDropped[i] = inDropped[n.parent] || dropped(&ns[n.parent])
		if n.flags&fMain == 0 || inDropped[i] || dropped(n) {
			continue
		}
		if s := n.text - n.link; s > bestScore {
			best, bestScore = int32(i), s
		}
	}
	if body := ns[0].text - ns[0].link; best >= 0 && bestScore*4 >= body {
		return best
	}
	return p.densityRoot()
}

// densityRoot finds the content container of a page that marks none: from
// the body down, it enters the child container holding most of the text
// outside links as long as that child holds at least 70% of it. Nav
// columns, footers and sidebars are left behind; paragraphs, lists and
// other blocks are never entered, so the container keeps its headings.
func (p *page) densityRoot() int32 {
	ns := p.nodes
	children := p.children()
	root := int32(0)
	for {
		score := ns[root].text - ns[root].link
		next := int32(-1)
		for _, c := range children[root] {
			if ns[c].props.bits&pDescend == 0 || dropped(&ns[c]) {
				continue
			}
			if s := ns[c].text - ns[c].link; s*10 >= score*7 && s > 0 {
				next = c
				break
			}
		}
		if next < 0 {
			return root
		}
		root = next
	}
}

// children lists each node's children, reusing the page's scratch.
func (p *page) children() [][]int32 {
	ns := p.nodes
	p.kids = p.kids[:0]
	p.kidStart = grow(&p.kidStart, len(ns)+1)
	for i := 1; i < len(ns); i++ {
		p.kidStart[ns[i].parent+1]++
	}
	for i := 1; i <= len(ns); i++ {
		p.kidStart[i] += p.kidStart[i-1]
	}
	p.kids = grow(&p.kids, len(ns))
	fill := grow(&p.kidFill, len(ns))
	for i := 1; i < len(ns); i++ {
		par := ns[i].parent
		p.kids[p.kidStart[par]+fill[par]] = int32(i)
		fill[par]++
	}
	out := p.kidLists[:0]
	for i := range ns {
		out = append(out, p.kids[p.kidStart[i]:p.kidStart[i+1]])
	}
	p.kidLists = out
	return out
}

// outsideHeading returns the page's first <h1> when the main content
// container holds none: article templates often put the headline just
// outside it.
func (p *page) outsideHeading(root int32) int32 {
	if root == 0 {
		return -1
	}
	ns := p.nodes
	for i := root + 1; i < int32(len(ns)) && ns[i].first < ns[root].last; i++ {
		if ns[i].tag == atom.H1 {
			return -1
		}
	}
	for i := int32(1); i < root; i++ {
		if ns[i].tag == atom.H1 && ns[i].text > 0 && !dropped(&ns[i]) && !anyDroppedAncestor(ns, i) && ns[i].last <= ns[root].first {
			// The whole page header when the headline made it content.
			h := i
			for a := ns[i].parent; a > 0; a = ns[a].parent {
				if ns[a].flags&fKeptHeader != 0 {
					h = a
				}
			}
			return h
		}
	}
	return -1
}

func anyDroppedAncestor(ns []node, i int32) bool {
	for i = ns[i].parent; i > 0; i = ns[i].parent {
		if dropped(&ns[i]) {
			return true
		}
	}
	return false
}

// judge decides which lines to keep: link-dense lines and lines of
// furniture phrases go; without a main container (inMain false), short
// lines are kept only between kept long ones.
func (r *renderer) judge(inMain bool) []bool {
	keep := grow(&r.keep, len(r.lines))
	const (
		bad = iota
		short
		good
	)
	class := grow(&r.class, len(r.lines))
	for i, l := range r.lines {
		text := r.out[l.start:l.end]
		switch {
		case l.kind == kPre:
			class[i] = good
		case float64(l.link) > r.opts.MaxLinkDensity*float64(l.chars) && !(inMain && l.kind == kHeading):
			class[i] = bad
		case furniturePhrase(text):
			class[i] = bad
		case inMain:
			class[i] = good
		case l.chars >= 70 && l.link*10 < l.chars*3:
			class[i] = good
		default:
			class[i] = short
		}
	}
	// The nearest classified neighbours of each line, found in two
	// linear passes. Before the first line counts as good; after the last
	// as bad, unless the page has no bad line at all.
	next := grow(&r.next, len(r.lines))
	after := uint8(bad)
	if !slices.Contains(class, bad) {
		after = good
	}
	for i := len(class) - 1; i >= 0; i-- {
		next[i] = after
		if class[i] != short {
			after = class[i]
		}
	}
	before := uint8(good)
	for i := range r.lines {
		switch class[i] {
		case good:
			keep[i] = true
		case short:
			keep[i] = next[i] == good && (before == good || r.lines[i].kind == kHeading)
		}
		if class[i] != short {
			before = class[i]
		}
	}
	return keep
}

// furniturePhrases start short lines of page furniture.
var furniturePhrases = []string{
	"share this", "share on", "tweet", "follow us", "subscribe", "sign up", "sign in", "log in",
	"we use cookies", "this site uses cookies", "accept cookies", "cookie settings", "advertisement",
	"all rights reserved", "skip to content", "skip to main content", "back to top", "read more",
	"related posts", "related articles", "leave a comment", "leave a reply", "posted in", "filed under",
	"copyright ©", "© ",
}

func furniturePhrase(b []byte) bool {
	if len(b) > 120 {
		return false
	}
	var buf [128]byte
	lower := appendLower(buf[:0], b)
	for _, ph := range furniturePhrases {
		if bytes.HasPrefix(lower, []byte(ph)) {
			return true
		}
	}
	return bytes.Contains(lower, []byte("all rights reserved"))
}

func nonSpace(b []byte) int {
	n := 0
	for _, c := range b {
		if c > ' ' {
			n++
		}
	}
	return n
}

func collapse(b []byte) string {
	return strings.Join(strings.Fields(string(b)), " ")
}

// IsHTML reports whether a document is HTML: by its content_type field
// when set, else by how its text starts (see the package documentation).
func IsHTML(doc *pipeline.Document) bool {
	if raw := doc.Field("content_type"); raw != nil {
		var ct string
		if json.Unmarshal(raw, &ct) != nil {
			return false
		}
		ct = strings.ToLower(strings.TrimSpace(ct))
		if i := strings.IndexByte(ct, ';'); i >= 0 {
			ct = strings.TrimSpace(ct[:i])
		}
		return ct == "text/html" || ct == "application/xhtml+xml"
	}
	return looksHTML(doc.Text)
}

func looksHTML(s string) bool {
	s = strings.TrimLeft(s[:min(len(s), 1024)], " \t\r\n\ufeff")
	if len(s) == 0 || s[0] != '<' {
		return false
	}
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "<!doctype html") || strings.HasPrefix(l, "<html") ||
		strings.Contains(l, "<html") || strings.Contains(l, "<head") || strings.Contains(l, "<body")
}

// grow returns *s resized to n zero values, reusing its capacity.
func grow[T any](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n)
	} else {
		*s = (*s)[:n]
		clear(*s)
	}
	return *s
}
