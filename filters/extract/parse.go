package extract

import (
	"bytes"
	"strings"

	"golang.org/x/net/html/atom"
)

// Node flags.
const (
	fBoiler     uint16 = 1 << iota // boilerplate by tag or role: always dropped
	fBoilerSoft                    // boilerplate by class or id: dropped unless it holds most of the text
	fHidden                        // hidden, or not text at all (script, style, form controls)
	fMain                          // a main-content candidate
	fInMain                        // inside a main-content candidate
	fPre                           // <pre> or inside one
	fMath                          // <math>
	fSkip                          // holds no readable text (script, style, head, form controls)
	fLink                          // <a> or inside one
	fHeader                        // soft boilerplate only as a header
	fKeptHeader                    // a header kept for its headline
)

// node is one element of the page. Nodes are stored in document order,
// so a node's parent always has a smaller index, and the ops of its
// subtree are ops[first:last].
type node struct {
	tag         atom.Atom
	parent      int32
	flags       uint16
	first, last int32
	// text and link count the visible text bytes of the subtree, and of
	// that the bytes inside links; boilerplate and hidden subtrees are
	// excluded. all counts every visible text byte, boilerplate too.
	text, link, all int32
	// alt is the kept alternative text of an <img>, as a text span.
	alt span
	// display math or a TeX script shown as a block
	block bool
	props props
}

type span struct{ start, end int32 }

// Op kinds.
const (
	opOpen uint8 = iota
	opClose
	opText
)

type op struct {
	kind uint8
	node int32
	text span
}

// page is the parsed page: nodes, the ops in document order and the text
// they point into. It is reused across documents.
type page struct {
	nodes []node
	ops   []op
	text  []byte
	stack []int32
	title []byte
	lang  string
	// math collects the text of the <math> being read: its TeX
	// annotation if it has one, else its token text.
	mathNode       int32
	mathTeX        []byte
	mathText       []byte
	inTeX, inOther bool
	z              tokenizer
	// scratch of analyse
	own       []int32
	inDropped []bool
	kids      []int32
	kidStart  []int32
	kidFill   []int32
	kidLists  [][]int32
}

const (
	maxDepth = 256
	maxNodes = 1 << 20
)

func (p *page) reset() {
	p.nodes = p.nodes[:0]
	p.ops = p.ops[:0]
	p.text = p.text[:0]
	p.stack = p.stack[:0]
	p.title = p.title[:0]
	p.lang = ""
	p.mathNode = -1
}

// skipTags hold no readable text.
var skipTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Canvas: true, atom.Iframe: true, atom.Object: true,
	atom.Embed: true, atom.Select: true, atom.Textarea: true, atom.Button: true,
	atom.Audio: true, atom.Video: true, atom.Map: true, atom.Head: true,
	atom.Datalist: true, atom.Dialog: true, atom.Frameset: true, atom.Noembed: true,
	atom.Noframes: true,
}

// boilerTags are page furniture by their nature (HTML sectioning
// semantics); header only outside the main content.
var boilerTags = map[atom.Atom]bool{
	atom.Nav: true, atom.Aside: true, atom.Footer: true, atom.Form: true, atom.Menu: true,
}

// voidTags never have content or an end tag.
var voidTags = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true, atom.Param: true,
}

// closesP lists the elements whose start closes an open <p>.
var closesP = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Table: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Pre: true, atom.Blockquote: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Nav: true, atom.Aside: true, atom.Hr: true,
	atom.Form: true, atom.Figure: true, atom.Main: true, atom.Address: true, atom.Fieldset: true,
}

// boilerWords are class and id words of page furniture. They are whole
// words of the attribute split at non-letters, so "navbar-top" matches
// "navbar" but "canvas" does not match "nav".
var boilerWords = map[string]bool{
	"nav": true, "navbar": true, "navigation": true, "navlinks": true, "menu": true, "menubar": true,
	"topbar": true, "breadcrumb": true, "breadcrumbs": true, "footer": true, "sidebar": true,
	"sidebars": true, "sphinxsidebar": true, "sphinxsidebarwrapper": true, "widget": true,
	"widgets": true, "cookie": true, "cookies": true, "consent": true, "gdpr": true, "banner": true,
	"ad": true, "ads": true, "editsection": true, "advert": true, "adverts": true, "advertisement": true,
	"advertising": true, "sponsor": true, "sponsored": true, "promo": true, "share": true,
	"sharing": true, "social": true, "comments": true, "comment": true, "disqus": true,
	"related": true, "recommended": true, "newsletter": true, "subscribe": true,
	"subscription": true, "signup": true, "popup": true, "modal": true, "toolbar": true,
	"pagination": true, "pager": true, "skip": true, "skiplink": true, "masthead": true,
	"copyright": true, "tags": true, "tagcloud": true, "toc": true, "sitemap": true,
	"login": true, "search": true, "searchbox": true, "navfooter": true, "navheader": true,
	"header": true, "rellinks": true, "crumbs": true,
}

// hiddenClasses are whole class names of text meant for screen readers.
var hiddenClasses = map[string]bool{
	"sr-only": true, "visually-hidden": true, "screen-reader-text": true, "visuallyhidden": true,
	"hidden": true, "hide": true, "d-none": true, "headerlink": true,
}

// mainWords mark main-content containers.
var mainWords = map[string]bool{
	"content": true, "main-content": true, "maincontent": true, "main": true, "article": true,
	"article-body": true, "articlebody": true, "post-body": true, "post-content": true,
	"entry-content": true, "story-body": true, "page-content": true, "mw-content-text": true,
	"body": true, "markdown-body": true, "post": true, "entry": true, "documentation": true,
}

// boilerRoles are ARIA landmark roles of page furniture.
var boilerRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"search": true, "menu": true, "menubar": true, "dialog": true, "alertdialog": true,
	"toolbar": true,
}

// parse tokenizes src into p. The tree is built with a bounded stack and
// the simplest of HTML's implied end tags, which is what text extraction
// needs; malformed HTML never fails, it only nests differently.
func (p *page) parse(src []byte) {
	p.reset()
	z := &p.z
	z.reset(src)
	p.nodes = append(p.nodes, node{tag: atom.Body, parent: -1})
	p.stack = append(p.stack, 0)
	p.ops = append(p.ops, op{kind: opOpen, node: 0})
	inTitle := false
	for {
		switch z.next() {
		case tEOF:
			p.closeTo(0)
			p.ops = append(p.ops, op{kind: opClose, node: 0})
			p.nodes[0].last = int32(len(p.ops))
			z.reset(nil)
			return
		case tText:
			if inTitle {
				if len(p.title) < 2048 {
					p.title = append(p.title, decode(z.text)...)
				}
				inTitle = false
				continue
			}
			if p.nodes[p.top()].flags&fSkip != 0 {
				continue
			}
			// A MathJax script's TeX stays as written.
			p.addText(z.text, p.nodes[p.top()].tag == atom.Script)
		case tStart:
			a := z.tag
			switch a {
			case atom.Html:
				for _, at := range z.attrs {
					if (keyIs(at.key, "lang") || keyIs(at.key, "xml:lang")) && p.lang == "" {
						p.lang = strings.ToLower(strings.TrimSpace(string(at.val)))
					}
				}
				continue
			case atom.Body:
				// A <body> ends the head, closed or not.
				p.closeTo(0)
				continue
			case atom.Title:
				inTitle = len(p.title) == 0
				continue
			case atom.Meta, atom.Link, atom.Base:
				continue
			}
			void := z.selfClosing || z.props.bits&pVoid != 0
			if a == atom.Head || p.nodes[p.top()].flags&fSkip != 0 {
				p.push(a, fSkip, void)
				continue
			}
			p.start(z, a, void)
		case tEnd:
			switch a := z.tag; a {
			case atom.Title:
				inTitle = false
			case atom.Body, atom.Html:
			default:
				if a != 0 {
					p.end(a)
				}
			}
		}
	}
}

func (p *page) top() int32 { return p.stack[len(p.stack)-1] }

// push opens a node under the top of the stack.
func (p *page) push(a atom.Atom, flags uint16, void bool) int32 {
	if len(p.stack) >= maxDepth || len(p.nodes) >= maxNodes {
		return -1
	}
	parent := p.top()
	pf := p.nodes[parent].flags
	flags |= pf & (fInMain | fPre | fSkip | fLink)
	if pf&fMain != 0 {
		flags |= fInMain
	}
	idx := int32(len(p.nodes))
	p.nodes = append(p.nodes, node{tag: a, parent: parent, flags: flags, first: int32(len(p.ops)), props: p.z.props})
	p.ops = append(p.ops, op{kind: opOpen, node: idx})
	if void {
		p.ops = append(p.ops, op{kind: opClose, node: idx})
		p.nodes[idx].last = int32(len(p.ops))
		return idx
	}
	p.stack = append(p.stack, idx)
	return idx
}

// end closes the innermost open element a, with everything opened inside
// it; an end tag with no open element is ignored. It reports whether an
// element was closed.
func (p *page) end(a atom.Atom) bool {
	for i := len(p.stack) - 1; i > 0; i-- {
		if p.nodes[p.stack[i]].tag == a {
			p.closeTo(i)
			return true
		}
	}
	return false
}

// closeTo pops the stack down to (excluding) depth d.
func (p *page) closeTo(d int) {
	for len(p.stack) > max(d, 1) {
		n := p.stack[len(p.stack)-1]
		p.stack = p.stack[:len(p.stack)-1]
		if p.mathNode == n {
			p.endMath()
		}
		p.ops = append(p.ops, op{kind: opClose, node: n})
		p.nodes[n].last = int32(len(p.ops))
	}
}

// implyEnd closes an open element a that the new element implicitly
// ends, searching up to the nearest element of a stopper kind.
func (p *page) implyEnd(a atom.Atom, stoppers ...atom.Atom) {
	for i := len(p.stack) - 1; i > 0; i-- {
		t := p.nodes[p.stack[i]].tag
		if t == a {
			p.closeTo(i)
			return
		}
		for _, s := range stoppers {
			if t == s {
				return
			}
		}
	}
}

// addText adds a text token, decoding its character references unless
// raw.
func (p *page) addText(t []byte, raw bool) {
	if len(t) == 0 {
		return
	}
	if p.mathNode >= 0 {
		if !raw {
			t = decode(t)
		}
		if p.inTeX {
			p.mathTeX = append(p.mathTeX, t...)
		} else if !p.inOther {
			if len(p.mathText) > 0 {
				p.mathText = append(p.mathText, ' ')
			}
			p.mathText = append(p.mathText, bytes.TrimSpace(t)...)
		}
		return
	}
	start := int32(len(p.text))
	if raw {
		p.text = append(p.text, t...)
	} else {
		p.text = appendDecoded(p.text, t)
	}
	if int32(len(p.text)) > start {
		p.ops = append(p.ops, op{kind: opText, node: p.top(), text: span{start, int32(len(p.text))}})
	}
}

// endMath emits the text of the <math> element being closed.
func (p *page) endMath() {
	t := bytes.TrimSpace(p.mathTeX)
	if len(t) == 0 {
		t = bytes.TrimSpace(p.mathText)
	}
	n := p.mathNode
	p.mathNode = -1
	p.inTeX, p.inOther = false, false
	if len(t) > 0 {
		start := int32(len(p.text))
		p.text = append(p.text, t...)
		p.ops = append(p.ops, op{kind: opText, node: n, text: span{start, int32(len(p.text))}})
	}
	p.mathTeX, p.mathText = p.mathTeX[:0], p.mathText[:0]
}

// start handles a start tag outside skipped content.
func (p *page) start(z *tokenizer, a atom.Atom, void bool) {
	// Implied end tags.
	switch {
	case a == atom.Li:
		p.implyEnd(atom.Li, atom.Ul, atom.Ol, atom.Menu)
	case a == atom.Dt || a == atom.Dd:
		p.implyEnd(atom.Dt, atom.Dl)
		p.implyEnd(atom.Dd, atom.Dl)
	case a == atom.Tr:
		p.implyEnd(atom.Tr, atom.Table)
	case a == atom.Td || a == atom.Th:
		p.implyEnd(atom.Td, atom.Tr, atom.Table)
		p.implyEnd(atom.Th, atom.Tr, atom.Table)
	case a == atom.Option:
		p.implyEnd(atom.Option, atom.Select)
	}
	pr := z.props
	if pr.bits&pClosesP != 0 {
		p.implyEnd(atom.P, atom.Div, atom.Td, atom.Th, atom.Li, atom.Blockquote, atom.Section, atom.Article)
	}

	var flags uint16
	var alt, typ, encoding, display, class, id, role []byte
	var hidden bool
	for _, at := range z.attrs {
		k, v := at.key, at.val
		switch {
		case keyIs(k, "class"):
			class = v
		case keyIs(k, "id"):
			id = v
		case keyIs(k, "role"):
			role = v
		case keyIs(k, "hidden"):
			hidden = true
		case keyIs(k, "aria-hidden"):
			hidden = hidden || string(bytes.TrimSpace(v)) == "true"
		case keyIs(k, "style"):
			if bytes.Contains(v, []byte("none")) || bytes.Contains(v, []byte("hidden")) {
				s := bytes.ReplaceAll(bytes.ToLower(v), []byte(" "), nil)
				if bytes.Contains(s, []byte("display:none")) || bytes.Contains(s, []byte("visibility:hidden")) {
					hidden = true
				}
			}
		case keyIs(k, "alt"):
			alt = v
		case keyIs(k, "type"):
			typ = v
		case keyIs(k, "encoding"):
			encoding = v
		case keyIs(k, "display"), keyIs(k, "mode"):
			display = v
		case keyIs(k, "itemprop"):
			if string(v) == "articleBody" {
				flags |= fMain
			}
		}
	}
	inPre := p.nodes[p.top()].flags&fPre != 0
	if p.mathNode >= 0 {
		// Inside <math>: only annotations matter.
		if a == atom.Annotation {
			if bytes.Contains(bytes.ToLower(encoding), []byte("tex")) {
				p.inTeX = true
			} else {
				p.inOther = true
			}
		} else if a == atom.AnnotationXml {
			p.inOther = true
		}
		p.push(a, 0, void)
		return
	}
	switch {
	case a == atom.Script:
		// MathJax 2 keeps formulas as <script type="math/tex">.
		if bytes.HasPrefix(bytes.ToLower(typ), []byte("math/tex")) {
			if idx := p.push(atom.Script, fMath, false); idx >= 0 {
				p.nodes[idx].block = bytes.Contains(typ, []byte("display"))
			}
			return
		}
		p.push(a, fSkip, void)
		return
	case pr.bits&pSkip != 0 || a == atom.Input:
		p.push(a, fSkip, void)
		return
	case hidden && !inPre:
		flags |= fHidden
	}
	if a == atom.Main || a == atom.Article || string(role) == "main" {
		flags |= fMain
	}
	if pr.bits&pBoiler != 0 || len(role) > 0 && boilerRoles[string(role)] {
		flags |= fBoiler
	}
	if a == atom.Header && flags&fMain == 0 && p.nodes[p.top()].flags&(fInMain|fMain) == 0 {
		flags |= fBoilerSoft | fHeader
	}
	if !inPre && (len(class) > 0 || len(id) > 0) {
		var c attrClass
		if pr.bits&pContainer != 0 {
			c = classify(class, id, a)
		} else if len(class) > 0 {
			c = classify(class, nil, a)
			c.flags = 0 // only the hidden classes judge inline elements
		}
		flags |= c.flags
		if flags&fMain != 0 && flags&fBoilerSoft != 0 {
			// "main-nav", "content-sidebar": the furniture word wins
			// over the main word.
			flags &^= fMain
		}
		if flags&fBoilerSoft != 0 && !c.other {
			if p.nodes[p.top()].flags&(fInMain|fMain) != 0 || flags&fMain != 0 {
				// An article's own header holds its title.
				flags &^= fBoilerSoft
			} else {
				flags |= fHeader
			}
		}
		if c.hidden {
			flags |= fHidden
		}
	}
	if a == atom.Pre {
		flags |= fPre
	}
	if a == atom.A {
		flags |= fLink
	}
	if a == atom.Math {
		idx := p.push(a, fMath, false)
		if idx >= 0 {
			p.nodes[idx].block = string(display) == "block"
			p.mathNode = idx
		}
		return
	}
	idx := p.push(a, flags, void)
	if idx >= 0 && a == atom.Img && len(alt) > 0 {
		start := int32(len(p.text))
		p.text = append(p.text, bytes.TrimSpace(decode(alt))...)
		p.nodes[idx].alt = span{start, int32(len(p.text))}
	}
}

// attrClass is what class and id words say about an element.
type attrClass struct {
	flags  uint16 // fMain, fBoilerSoft
	other  bool   // a furniture word other than "header"
	hidden bool   // a screen-reader or hidden class
}

// classify judges class and id values: furniture words mark soft
// boilerplate, main-content words a candidate, some classes hide. One
// pass, no allocation: this runs for most elements of a page.
func classify(class, id []byte, a atom.Atom) attrClass {
	var c attrClass
	var buf [64]byte
	for vi, v := range [2][]byte{class, id} {
		for i := 0; i < len(v); {
			for i < len(v) && isSpace(v[i]) {
				i++
			}
			j := i
			for j < len(v) && !isSpace(v[j]) {
				j++
			}
			if j == i || j-i > len(buf) {
				i = j
				continue
			}
			lower := appendLower(buf[:0], v[i:j])
			i = j
			if vi == 0 && hiddenClasses[string(lower)] {
				c.hidden = true
			}
			if mainWords[string(lower)] && a != atom.Span && a != atom.P && a != atom.Li {
				c.flags |= fMain
			}
			// Each run of letters is a word.
			for k := 0; k < len(lower); {
				for k < len(lower) && !('a' <= lower[k] && lower[k] <= 'z') {
					k++
				}
				l := k
				for l < len(lower) && 'a' <= lower[l] && lower[l] <= 'z' {
					l++
				}
				w := lower[k:l]
				k = l
				if len(w) == 0 || !boilerWords[string(w)] {
					continue
				}
				if string(w) != "header" {
					c.other = true
					c.flags |= fBoilerSoft
				} else if a != atom.Span && a != atom.P {
					c.flags |= fBoilerSoft
				}
			}
		}
	}
	return c
}

func appendLower(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
