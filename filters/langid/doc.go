// Package langid is the language-identification stage, "langid" (Llama 3,
// section 3.1.1: multilingual text is identified by language so that
// de-duplication and quality filtering run per language; FineWeb keeps
// documents whose language score reaches 0.65 with fastText).
//
// The stage sets Document.Lang (ISO 639-1, else 639-3, "und" when no
// language can be told), Document.LangScore (the confidence of that
// language, 0–1) and the field lang_top3 ([{"lang","score"}], best
// first). It drops documents below min_score as langid.low_score and,
// when keep is set (the CLI's --langs), documents in other languages as
// langid.language_not_kept. The output writer partitions by Lang.
//
// # Backends
//
// Parameter backend chooses who identifies:
//
//   - hybrid (the default): fastText's lid.176 model where it is reliable,
//     lingua's cascade (below) where it is not. Languages are lingua's 75.
//   - fasttext: the model alone, with all of its languages (176 for
//     lid.176, Llama 3's setting); languages and keep (--langs) accept
//     any of them.
//   - lingua: the cascade alone, as before fastText came in.
//
// The model is lid.176.ftz, embedded in the binary (package lid176, 917
// KiB, CC BY-SA 3.0; see NOTICE), so no download happens at run time;
// parameter model names another lid.176-compatible .bin/.ftz by path or
// storage URL. It loads in milliseconds and is shared by all stages of a
// process. fastText reads at most 1 KB of a text (DefaultWindow), in four
// pieces spread over it, with newlines as spaces.
//
// fastText labels map to winnow's codes with LabelCode: "no" (Wikipedia's
// Norwegian, written in Bokmål) is "nb", "sh" is "hbs" and "als"
// (Alemannic) is "gsw"; every other label is already ISO 639-1, else
// 639-3 (or a retired or collective code kept as it is, e.g. "eml").
//
// # Hybrid rule
//
// A script written in one candidate language decides first. Lingua's
// cascade decides when the text has fewer than 40 letters or its
// dominant script has less than 90% of its letters. Lingua also decides
// when fastText's best language is not a candidate (fastText lacks Ganda,
// Maori, Shona, Sotho, Tsonga, Tswana, Xhosa and Zulu, and gives text in
// them low probabilities spread over unrelated languages) and when
// fastText's probability is below 0.8; on texts of 120 letters or more
// it then chooses among fastText's best three, their confusable groups
// and the ten languages fastText lacks or often misses (the eight, Somali
// and Yoruba) — on the calibration set the right language was among them
// whenever fastText was unsure — screening a sample first as the cascade
// does. When fastText names one of a confusable group
// — Bosnian/Croatian/Serbian, Indonesian/Malay, Bokmål/Nynorsk/Danish —
// with the group's probability at 0.8 or more, lingua's full detector
// chooses within the group. Otherwise fastText's answer stands.
//
// The rule was calibrated by internal/calibrate on 4,527 texts (short,
// paragraphs and 1–5 KB documents in 73 of the 75 languages) built from
// the gettext translations installed under /usr/share/locale and
// LibreOffice's language packs for Sotho, Tswana, Tsonga, Xhosa and Zulu
// — not on testdata, which the tests and benchmarks report on. There,
// fastText's answers at probability p ≥ 0.8 were right 99.7% of the time
// (0.80–0.85: 97.9%, 0.85–0.90: 98.8%, 0.90–0.95: 99.8%, ≥ 0.95: 99.9%;
// below 0.5, under 64%), and the languages fastText lacks never reached
// 0.8. Thresholds of 0.5–0.95 and minimum lengths of 20–80 letters were
// tried; 0.8 and 40 letters gave the best accuracy on paragraphs (98.03%
// against 97.77% for lingua's cascade alone and 87.2% for fastText
// alone) while handing lingua the fewest texts among the best.
//
// lang_score is the probability of the answer from whoever decided:
// fastText's softmax probability (at least 0.8, and on the calibration
// set a slight underestimate of how often it is right), lingua's
// confidence (see below), or for a one-language script that script's
// share of the letters. The default min_score 0.5 therefore never drops a
// text fastText decided.
//
// # Detection
//
// Lingua's languages are 75. Calling lingua naively — DetectLanguageOf
// on the whole text with all 75 languages — costs a map lookup per
// distinct n-gram and candidate language, plus per-word character rules,
// big-decimal arithmetic per language and goroutine hand-offs per call.
// Detector gives the same answers for a fraction of that (see
// BenchmarkNaiveVsStage) with a cascade:
//
//  1. Script. Letters are counted by script; a script that only one
//     candidate is written in (Greek, Hangul, Thai, Hebrew, kana or Han,
//     ...) decides, scored by its share of the letters.
//  2. Shortlist. The script's candidates (45 for Latin) are ranked by
//     character-unigram likelihood, with rows taken from lingua's own
//     unigram models through its API, and the best 6 go on. On the
//     labelled set the right language is always first or second.
//  3. Screen. Lingua in low-accuracy mode (trigrams — all it uses for
//     texts of 120 letters or more anyway) scores a 200-byte sample,
//     taken in four pieces spread over the text, against the shortlist.
//     When the log-odds between its two best reach 12 it decides; when
//     one language takes all the probability, a second sample must agree.
//  4. Full. Otherwise lingua in high-accuracy mode chooses between the
//     screen's best 3 on a 1600-byte window spread the same way. Texts of
//     fewer than 120 letters go from the shortlist straight to this step,
//     which then uses lingua's 1–5-gram models.
//
// Above 120 letters lingua is handed the distinct words of three letters
// or more of its sample or window: the same set of trigrams, while its
// per-word character rules run once per distinct word.
//
// The text is looked at in NFC (text.DocNFC): lingua splits words at
// combining marks, so decomposed input would lose most of its n-grams.
//
// # Calibration of min_score
//
// Lingua's confidence is a softmax of summed log-probabilities, so it is
// close to 1 for any text of some length, junk included; it separates
// right from wrong only on short, ambiguous texts. On the labelled set
// (testdata/accuracy, 38 languages; TestCalibration prints the figures
// with LANGID_CALIBRATE=1) correctly identified documents of 1–5 KB all
// score at least 0.997, correctly identified paragraphs have a 1st
// percentile of 0.74 and a minimum of 0.51, and the three paragraphs the
// detector gets wrong (as the naive call does) score 0.75–0.9999.
// Generated junk (random letters, code, part numbers, base64) scores
// 0.28 and above, median 1. Any threshold from 0.5 to 0.99 therefore
// keeps every correct document; the default 0.5 also keeps every correct
// paragraph, while FineWeb's 0.65 would drop 1% of them for no document
// gained. Junk is the quality filters' job, not this score's.
//
// # Line granularity
//
// With granularity "line", each line of at least min_line_chars letters
// is identified too, by the same backend (Identifier.IdentifyLine: with
// lingua the document's language is always among the candidates; the
// hybrid asks fastText first and lingua only where fastText names
// neither the document's language, its confusable group, nor another
// language reliably), and lines confidently (≥ max(min_score, 0.95)) in
// another language are removed from the text, every other byte kept, or
// with line_action "tag" listed in the field lang_lines. The document's
// own language is decided on the whole text first: with a fifth of its
// lines in another language it stays right (TestMixed, TestMixedAll).
// Line mode loads lingua's 1–5-gram models for the languages it meets
// (short texts need them), so it holds more memory than document mode.
//
// # Memory
//
// The hybrid backend builds its detector lazily: lingua loads a
// language's models when it is first asked about it. The lingua backend's
// NewDetector preloads the trigram models of the candidates (about 150
// MB for all 75); the unigram and bigram models that trigram look-ups
// fall back on load on first use. Peak resident memory of the naive call
// and of the stage over the labelled set is measured, each in a process
// of its own, by internal/measure.
package langid
