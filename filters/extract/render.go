package extract

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/net/html/atom"
)

// line is one block of output text.
type line struct {
	start, end int // in the output buffer
	chars      int // non-space bytes
	link       int // non-space bytes inside links
	kind       uint8
}

// Line kinds.
const (
	kText uint8 = iota
	kHeading
	kItem
	kPre
	kRow
)

// renderer turns the kept ops into lines of plain text.
type renderer struct {
	p        *page
	out      []byte
	lines    []line
	cur      line
	space    bool // a space is pending before the next word
	pre      int  // depth of <pre>
	link     int  // depth of <a>
	cellOpen bool // a table cell has begun on the current line
	opts     *Options
	// scratch of judge
	keep        []bool
	class, next []uint8
}

func (r *renderer) reset(p *page, opts *Options) {
	r.p = p
	r.opts = opts
	r.out = r.out[:0]
	r.lines = r.lines[:0]
	r.cur = line{}
	r.space, r.pre, r.link, r.cellOpen = false, 0, 0, false
}

// blockTags start and end a line.
var blockTags = map[atom.Atom]uint8{
	atom.P: kText, atom.Div: kText, atom.Section: kText, atom.Article: kText, atom.Main: kText,
	atom.Header: kText, atom.Footer: kText, atom.Nav: kText, atom.Aside: kText,
	atom.H1: kHeading, atom.H2: kHeading, atom.H3: kHeading, atom.H4: kHeading, atom.H5: kHeading, atom.H6: kHeading,
	atom.Li: kItem, atom.Dt: kItem, atom.Dd: kItem, atom.Blockquote: kText, atom.Pre: kPre,
	atom.Table: kText, atom.Tr: kRow, atom.Thead: kText, atom.Tbody: kText, atom.Tfoot: kText,
	atom.Ul: kText, atom.Ol: kText, atom.Dl: kText, atom.Figure: kText, atom.Figcaption: kText,
	atom.Caption: kText, atom.Address: kText, atom.Hr: kText, atom.Details: kText,
	atom.Summary: kText, atom.Center: kText, atom.Fieldset: kText, atom.Legend: kText,
	atom.Form: kText, atom.Body: kText, atom.Option: kText, atom.Noscript: kText,
}

// dropped reports whether node n's subtree is left out.
func dropped(n *node) bool {
	return n.flags&(fBoiler|fBoilerSoft|fSkip|fHidden) != 0
}

// render appends the text of node root's subtree.
func (r *renderer) render(root int32) {
	p := r.p
	n := &p.nodes[root]
	for i := n.first; i < n.last; i++ {
		o := p.ops[i]
		switch o.kind {
		case opOpen:
			if o.node != root && dropped(&p.nodes[o.node]) {
				i = p.nodes[o.node].last - 1
				continue
			}
			r.open(o.node)
		case opClose:
			r.close(o.node)
		case opText:
			r.text(p.text[o.text.start:o.text.end])
		}
	}
	r.flush()
}

func (r *renderer) open(i int32) {
	n := &r.p.nodes[i]
	switch n.tag {
	case atom.A:
		r.link++
		return
	case atom.Br:
		if r.pre > 0 {
			r.out = append(r.out, '\n')
		} else {
			r.flush()
		}
		return
	case atom.Img:
		if r.opts.IncludeImages && n.alt.end > n.alt.start {
			alt := r.p.text[n.alt.start:n.alt.end]
			if formulaLike(alt) || n.flags&fLink == 0 && wordCount(alt) >= 4 {
				r.space = true
				r.text(alt)
				r.space = true
			}
		}
		return
	case atom.Td, atom.Th:
		if !r.opts.IncludeTables {
			return
		}
		if r.cellOpen && r.cur.chars > 0 {
			r.out = append(r.out, '\t')
			r.space = false
		}
		r.cellOpen = true
		return
	case atom.Math, atom.Script:
		if n.block {
			r.flush()
		} else {
			r.space = true
		}
		return
	}
	if n.props.bits&pBlock != 0 {
		k := n.props.kind
		r.flush()
		if n.tag == atom.Pre {
			r.pre++
		}
		if r.pre == 0 || n.tag == atom.Pre {
			r.cur.kind = k
		}
	}
}

func (r *renderer) close(i int32) {
	n := &r.p.nodes[i]
	switch n.tag {
	case atom.A:
		r.link--
		return
	case atom.Td, atom.Th:
		return
	case atom.Math, atom.Script:
		if n.block {
			r.flush()
		} else {
			r.space = true
		}
		return
	}
	if n.props.bits&pBlock != 0 {
		if n.tag == atom.Pre {
			r.flush()
			r.pre--
			return
		}
		if r.pre == 0 {
			r.flush()
		}
	}
}

// text appends t, collapsing white space outside <pre>.
func (r *renderer) text(t []byte) {
	if r.pre > 0 {
		r.cur.kind = kPre
		for _, c := range t {
			if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
				r.cur.chars++
				if r.link > 0 {
					r.cur.link++
				}
			}
		}
		for len(t) > 0 {
			// Line ends as "\n" only.
			i := bytes.IndexByte(t, '\r')
			if i < 0 {
				r.out = append(r.out, t...)
				break
			}
			r.out = append(r.out, t[:i]...)
			if i+1 == len(t) || t[i+1] != '\n' {
				r.out = append(r.out, '\n')
			}
			t = t[i+1:]
		}
		r.cur.end = len(r.out)
		return
	}
	for i := 0; i < len(t); {
		c := t[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' {
			r.space = true
			i++
			continue
		}
		if c == 0xc2 && i+1 < len(t) && t[i+1] == 0xa0 { // no-break space
			r.space = true
			i += 2
			continue
		}
		// A run of non-space bytes.
		j := i + 1
		for j < len(t) {
			c := t[j]
			if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == 0xc2 && j+1 < len(t) && t[j+1] == 0xa0 {
				break
			}
			j++
		}
		if r.cur.chars == 0 {
			r.cur.start = len(r.out)
		} else if r.space {
			r.out = append(r.out, ' ')
		}
		r.space = false
		r.out = append(r.out, t[i:j]...)
		r.cur.chars += j - i
		if r.link > 0 {
			r.cur.link += j - i
		}
		r.cur.end = len(r.out)
		i = j
	}
}

// flush ends the current line.
func (r *renderer) flush() {
	if r.cur.chars > 0 {
		l := r.cur
		if l.kind == kPre {
			// Keep indentation, drop blank lines around the block.
			b := r.out[l.start:l.end]
			for len(b) > 0 && (b[0] == '\n' || b[0] == '\r') {
				b = b[1:]
				l.start++
			}
			b = bytes.TrimRight(b, " \t\r\n")
			l.end = l.start + len(b)
		}
		r.lines = append(r.lines, l)
	}
	// Drop what followed the last kept text: separators, an empty line.
	r.out = r.out[:lastEnd(r.lines)]
	r.cur = line{start: len(r.out), end: len(r.out), kind: kText}
	r.space = false
	r.cellOpen = false
}

func lastEnd(ls []line) int {
	if len(ls) == 0 {
		return 0
	}
	return ls[len(ls)-1].end
}

// formulaLike reports whether an alt text reads as a formula (the LaTeX
// source wikis and math renderers put there).
func formulaLike(b []byte) bool {
	return bytes.ContainsAny(b, "\\^=_{}") && len(b) > 1
}

func wordCount(b []byte) int {
	return len(bytes.Fields(b))
}

// utf8Prefix cuts b to at most n bytes without splitting a character.
func utf8Prefix(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}
