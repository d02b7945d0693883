// Package quality holds the heuristic quality filters of web-data
// curation, one file per rule family, each naming its source and
// defaults:
//
//   - gopher_repetition: duplicate lines, paragraphs and n-grams (Rae et
//     al. 2021, "Scaling Language Models: Methods, Analysis & Insights
//     from Training Gopher", appendix A, table A1);
//   - gopher_quality: word counts, word length, symbols, bullets,
//     ellipses, alphabetic words and stop words (same paper);
//   - c4: the line and document rules of C4 (Raffel et al. 2020, section
//     2.2);
//   - fineweb: FineWeb's extra rules (Penedo et al. 2024);
//   - line_repetition: Llama 3's removal of lines made of repeated
//     content (Llama 3 Herd of Models, section 3.1.1, heuristic filtering).
//
// Every stage computes its numbers as signals named "<stage>.<signal>",
// rewrites the text (c4, line_repetition remove lines) and returns the
// rule a failing document breaks (reason "<stage>.<rule>"). Whether that
// drops the document or only tags it is the engine's mode (pipeline.Mode),
// not the stage's.
//
// Stages are language-aware through Document.Lang: stop words and
// terminal punctuation per language, and word counting that works for
// scripts written without spaces (filters/text gives one word per
// ideograph or Thai letter). The document is segmented once, with the
// segmentation of the shared view text.DocWords: this package memoises
// one analysis on the document for all its stages — the words with their
// hashes, the lines with their word ranges, and what the stages count
// over the words (letters, stop words, c4's phrases), gathered in the
// same pass.
package quality
