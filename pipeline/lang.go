package pipeline

// NormalizeLang returns the language code a document is filed and
// counted under: lang lower-cased when it has the shape of an ISO 639
// code (two or three ASCII letters: "en", "deu", "EN" → "en"), "und"
// when it is empty or anything else ("en_US", "../../x", "rejected",
// "-"). ok is false when a non-empty lang was replaced by "und". It is
// applied where kept and rejected documents leave the engine, so the
// shards' partitions and stats.json's languages agree, and a value read
// from data can never name an unexpected directory.
func NormalizeLang(lang string) (code string, ok bool) {
	if lang == "" {
		return "und", true
	}
	if len(lang) < 2 || len(lang) > 3 {
		return "und", false
	}
	var b [3]byte
	for i := 0; i < len(lang); i++ {
		c := lang[i]
		switch {
		case 'a' <= c && c <= 'z':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		default:
			return "und", false
		}
		b[i] = c
	}
	if string(b[:len(lang)]) == lang {
		return lang, true // no allocation in the common case
	}
	return string(b[:len(lang)]), true
}

// normalizeLang files d under its normalised language code, counting a
// kept document's repaired code in s (nil for rejected documents, which
// Repaired does not count).
func normalizeLang(d *Document, s *Stats) {
	code, ok := NormalizeLang(d.Lang)
	if s != nil && d.Lang != "" && code != d.Lang {
		if ok {
			s.Repaired["lang_case"]++
		} else {
			s.Repaired["lang_invalid"]++
		}
	}
	d.Lang = code
}
