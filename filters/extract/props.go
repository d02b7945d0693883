package extract

import "golang.org/x/net/html/atom"

// props are what the extractor knows of an element kind, gathered in one
// table so that each tag costs one lookup.
type props struct {
	bits uint16
	kind uint8 // line kind of a block element
}

const (
	pSkip      uint16 = 1 << iota // holds no readable text
	pBoiler                       // page furniture by its nature
	pVoid                         // never has content
	pClosesP                      // its start ends an open <p>
	pBlock                        // starts and ends a line
	pRaw                          // raw text up to its end tag
	pContainer                    // judged by class and id words
	pDescend                      // densityRoot may enter it
)

var tagProps = func() map[atom.Atom]props {
	m := map[atom.Atom]props{}
	set := func(bit uint16, as ...atom.Atom) {
		for _, a := range as {
			p := m[a]
			p.bits |= bit
			m[a] = p
		}
	}
	for a := range skipTags {
		set(pSkip, a)
	}
	for a := range boilerTags {
		set(pBoiler, a)
	}
	for a := range voidTags {
		set(pVoid, a)
	}
	for a := range closesP {
		set(pClosesP, a)
	}
	for a, k := range blockTags {
		set(pBlock, a)
		p := m[a]
		p.kind = k
		m[a] = p
	}
	for a := range rawTags {
		set(pRaw, a)
	}
	set(pContainer, atom.Div, atom.Section, atom.Aside, atom.Nav, atom.Header, atom.Footer, atom.Ul, atom.Ol,
		atom.Table, atom.Form, atom.Article, atom.Main, atom.Dl, atom.P, atom.Span, atom.Li, atom.Center, atom.Td)
	set(pDescend, atom.Div, atom.Section, atom.Article, atom.Main, atom.Table, atom.Tbody, atom.Tr, atom.Td,
		atom.Center, atom.Font, atom.Span, atom.Form, atom.Header, atom.Body)
	return m
}()
