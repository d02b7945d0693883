package text

import "github.com/winnow-data/winnow/pipeline"

// memoKey names one analysis memoised on a document; unexported so that
// no other package can collide with it.
type memoKey int

const (
	keyNFC memoKey = iota
	keyWords
	keyLines
	keyParagraphs
	keySentences
	keyNormalized
)

// DocNFC returns the document's text in NFC, computed once per text.
func DocNFC(doc *pipeline.Document) string {
	return doc.Memo(keyNFC, func(d *pipeline.Document) any { return NFC(d.Text) }).(string)
}

// DocWords returns the words of the document's NFC text (see WordScanner).
// The slice is shared: callers must not modify it.
func DocWords(doc *pipeline.Document) []string {
	return doc.Memo(keyWords, func(d *pipeline.Document) any {
		s := DocNFC(d)
		return AppendWords(make([]string, 0, len(s)/6+1), s)
	}).([]string)
}

// DocLines returns the lines of the document's text (see LineScanner), as
// substrings of Document.Text. The slice is shared: callers must not
// modify it.
func DocLines(doc *pipeline.Document) []string {
	return doc.Memo(keyLines, func(d *pipeline.Document) any {
		return AppendLines(make([]string, 0, len(d.Text)/64+1), d.Text)
	}).([]string)
}

// DocParagraphs returns the paragraphs of the document's text (see
// AppendParagraphs), as substrings of Document.Text. The slice is shared.
func DocParagraphs(doc *pipeline.Document) []string {
	return doc.Memo(keyParagraphs, func(d *pipeline.Document) any {
		return AppendParagraphs(nil, d.Text)
	}).([]string)
}

// DocSentences returns the sentences of the document's NFC text (see
// AppendSentences). The slice is shared.
func DocSentences(doc *pipeline.Document) []string {
	return doc.Memo(keySentences, func(d *pipeline.Document) any {
		return AppendSentences(nil, DocNFC(d))
	}).([]string)
}

// DocNormalized returns the dedup normalisation of the document's text
// (see AppendNormalized).
func DocNormalized(doc *pipeline.Document) string {
	return doc.Memo(keyNormalized, func(d *pipeline.Document) any {
		return Normalize(d.Text)
	}).(string)
}
