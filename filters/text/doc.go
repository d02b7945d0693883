// Package text holds the multilingual text utilities shared by every
// filter and dedup stage, so that a document is analysed once per run:
// word segmentation (Unicode UAX #29 word boundaries, one word per
// ideograph for scripts written without spaces), lines, paragraphs and
// sentences, the NFC view that models look at, and the dedup
// normalisation.
//
// The string functions (WordScanner, AppendWords, AppendLines,
// AppendParagraphs, AppendSentences, NFC, AppendNormalized) are pure and
// allocate nothing beyond the caller's slices; results are substrings of
// the input.
//
// The document views (DocNFC, DocWords, DocLines, DocParagraphs,
// DocSentences, DocNormalized) memoise their result on the document
// (pipeline.Document.Memo), so the first stage that asks pays and later
// stages reuse it; Document.SetText forgets them. Views that model text
// (words, sentences, the normalisation) work on the NFC form; lines and
// paragraphs are substrings of Document.Text itself, so a stage that
// drops lines can rebuild the text from them without changing any other
// byte.
package text
