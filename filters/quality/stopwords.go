package quality

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// stopWordLists holds, per language (ISO 639-1, as Document.Lang), the
// commonest function words, lower case, separated by spaces. English is
// datatrove's list (gopher_quality_filter.py), so the default rule is
// theirs; the others were written for this package from general knowledge
// of each language: 10–20 words that any running text has. Languages
// written without spaces list single characters, because filters/text
// counts one word per ideograph (Chinese) or kana (Japanese); Thai, whose
// letters are words there, is matched as substrings instead (substrLangs).
var stopWordLists = map[string]string{
	"en": "the be to of and that have with",
	"de": "der die das und ist nicht ein eine zu den von mit sich des auf für im dem",
	"fr": "le la les de des et est un une du en que qui pas pour dans sur au",
	"es": "el la los las de del y que en un una es por con para no se lo",
	"it": "il la le di e che un una per non è del della in con sono si",
	"pt": "o a os as de do da e que em um uma para com não no na é",
	"nl": "de het een en van is dat die in niet te op zijn met voor er",
	"sv": "och att det som en är av för på med inte den till har jag ett",
	"da": "og at det er en af til på som med ikke den for de har et",
	"nb": "og i det er som en at til på av for med ikke den har de",
	"nn": "og i det er som ein at til på av for med ikkje dei har eg",
	"fi": "ja on ei se että oli hän ovat mutta kuin tai myös niin jos kun",
	"pl": "i w nie na się z że do to jest jak o ale co od po",
	"cs": "a v se na je že to s z do o jako ale k by pro",
	"sk": "a v sa na je že to s z do o ako ale k by pre",
	"sl": "in je na se za da v so pa z ki to ne od po",
	"hr": "i je u na se da za su od ne a s to kao ali",
	"bs": "i je u na se da za su od ne a s to kao ali",
	"sr": "и је у на се да за су од не а с то као али i je u na se da za su od ne a s to kao ali",
	"ro": "și de la în a nu cu o pe un că este care se din ce",
	"hu": "a az és hogy nem is egy van de meg el azt ez csak mint",
	"tr": "ve bir bu da de için ile çok ne o gibi daha var ama olarak",
	"az": "və bir bu da ki ilə üçün də olan çox",
	"ru": "и в не на что с я он как это по но из к у то",
	"uk": "і в не на що з я він як це та але до у й від",
	"be": "і ў не на што з я ён як гэта па але да",
	"bg": "и в на не да се от за е с че по това са",
	"mk": "и во на не да се од за е со што по тоа",
	"kk": "және мен бұл бір да де үшін деп ол",
	"el": "και το η να του της την ο σε τα με που είναι από για δεν",
	"ar": "في من على أن إلى عن مع هذا التي الذي ما لا هو كان",
	"fa": "و در به از که این را با است برای آن یک",
	"ur": "کے میں کی ہے اور کا سے کو نے یہ پر ہیں",
	"he": "של את על זה לא הוא עם כי גם אני היא מה",
	"hi": "के है और में की का को से यह पर एक हैं नहीं भी",
	"mr": "आणि आहे या व की हे ते होते नाही पण",
	"bn": "এবং এই করে না হয় থেকে একটি জন্য যে ও সে কি",
	"id": "yang dan di ini itu dengan untuk dari tidak dalam akan ada pada juga",
	"ms": "yang dan di ini itu dengan untuk dari tidak dalam akan ada pada juga",
	"vi": "và của là có không các được cho trong những một người này với",
	"tl": "ang ng sa na at mga ay si ko hindi para ito",
	"sw": "na ya wa kwa ni katika za la hii kuwa au lakini",
	"ca": "el la els les de i que en un una no és per amb del es",
	"eu": "eta da ez du bat ere baina hau dira zen",
	"lt": "ir kad yra į su tai ne iš bet kaip o buvo",
	"lv": "un ir ka ar uz no par kas arī bet tas ko",
	"et": "ja on ei et see kui oli ka aga mis nii",
	"is": "og að í á er sem til það ekki með um var",
	"ga": "agus an na is ar a i le go do ní",
	"cy": "a y yn i o ar ac mae yr ei am",
	"af": "die en van in is het nie te dat op vir",
	"sq": "të dhe në e i një për me që nga ka është",
	"eo": "la kaj de en estas al ne por mi ke ĉe",
	"la": "et in est non ad cum ut sed qui quod",
	"ko": "그 이 저 것 수 등 및 더 또 그리고 하지만 있는 있다 하는 한다 위해 대한",
	"ja": "の に は を た が で て と し も な か",
	"zh": "的 是 了 在 不 和 有 我 这 他 也 就 人 都 一",
	"th": "และ ที่ ใน ของ การ เป็น ไม่ มี ได้ ว่า ให้ จะ",
}

// substrLangs are matched by counting stop words as substrings of the
// text: their words are not segmented by filters/text.
var substrLangs = map[string]bool{"th": true}

// stopSet is one language's stop words, as word hashes (wordHash of the
// lower-case word), so that a word already hashed by the analysis is
// looked up without hashing it again.
type stopSet struct {
	hashes  []uint64 // sorted
	maxLen  int      // longest word in bytes: longer words are not looked up
	lenMask uint64   // bit n set when a word of n bytes (n < 64) is listed
	filter  uint64   // bit h%64 set for each listed hash h: most words miss it
	substr  []string // for substrLangs: count occurrences in the text

	// short holds the ASCII words of up to 8 bytes packed (packWord),
	// each in its own slot (shortSlot), so that a short ASCII word is
	// looked up with one multiply, load and compare, where hashing it
	// and searching the list branched on every word.
	short    [shortSlots]uint64
	shortMul uint64
}

// shortSlots is the size of stopSet.short: the lists' short ASCII words
// (at most about 20) fit without collision for a multiplier found in a
// few tries.
const shortSlots = 128

// shortSlot returns the slot of a packed word in stopSet.short.
func (s *stopSet) shortSlot(x uint64) uint64 {
	return x * s.shortMul >> (64 - 7)
}

// placeShort finds a multiplier that gives each of words (packed) a
// slot of its own, and fills the slots; deterministic.
func (s *stopSet) placeShort(words []uint64) {
	for seed := uint64(1); ; seed++ {
		s.shortMul = mix64(seed) | 1
		s.short = [shortSlots]uint64{}
		ok := true
		for _, x := range words {
			i := s.shortSlot(x)
			if s.short[i] != 0 && s.short[i] != x {
				ok = false
				break
			}
			s.short[i] = x
		}
		if ok {
			return
		}
	}
}

var stopSets = func() map[string]*stopSet {
	m := make(map[string]*stopSet, len(stopWordLists))
	for lang, list := range stopWordLists {
		s := &stopSet{}
		var short []uint64
		for _, w := range strings.Fields(list) {
			if substrLangs[lang] {
				s.substr = append(s.substr, w)
				continue
			}
			if len(w) <= 8 && isASCII(w) {
				short = append(short, packString(w))
			}
			h, _ := wordHash(w)
			s.hashes = append(s.hashes, h)
			s.filter |= 1 << (h & 63)
			s.maxLen = max(s.maxLen, len(w))
			if len(w) < 64 {
				s.lenMask |= 1 << len(w)
			}
		}
		slices.Sort(s.hashes)
		s.placeShort(short)
		m[lang] = s
	}
	return m
}()

// stopWordsFor returns the stop words of lang: English when the language
// is not known yet (as datatrove, which has only English), nil for a
// language without a list.
func stopWordsFor(lang string) *stopSet {
	switch lang {
	case "", "und":
		return stopSets["en"]
	case "no":
		return stopSets["nb"]
	}
	return stopSets[lang]
}

// contains reports whether h is the hash of a stop word. The lists are
// short: a linear scan beats a map.
func (s *stopSet) contains(h uint64) bool {
	if s.filter&(1<<(h&63)) == 0 {
		return false
	}
	for _, x := range s.hashes {
		if x == h {
			return true
		}
	}
	return false
}

// hasShort reports whether the ASCII word of up to 8 bytes packed in x
// (see packWord) is a stop word. Lower case keeps the length, and the
// word is lowered in its packed form.
func (s *stopSet) hasShort(x uint64) bool {
	low := x | asciiUpper(x)>>2
	return s.short[s.shortSlot(low)] == low
}

// has reports whether the word with hash h, lower-cased, is a stop word.
// buf is scratch space for the lower-cased form.
func (s *stopSet) has(word string, h uint64, buf *[]byte) bool {
	var lower uint64 // packed lower-case bytes of a short ASCII word
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= utf8.RuneSelf || len(word) > 8 {
			return s.hasSlow(word, buf)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower |= uint64(c) << (8 * i)
	}
	if s.lenMask&(1<<len(word)) == 0 {
		return false
	}
	if lower != 0 {
		h = mix64(lower) // wordHash of the lower-case word
	}
	return s.contains(h)
}

// hasSlow lower-cases word with Unicode case mapping.
func (s *stopSet) hasSlow(word string, buf *[]byte) bool {
	b := (*buf)[:0]
	for _, r := range word {
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	*buf = b
	h, _ := wordHash(string(b))
	return s.contains(h)
}

// count returns the number of stop words among a's words, or of
// stop-word occurrences in the text for languages matched as substrings.
func (s *stopSet) count(a *analysis, buf *[]byte) int {
	n := 0
	if s.substr != nil {
		for _, w := range s.substr {
			n += strings.Count(a.nfc, w)
		}
		return n
	}
	raw := unsafe.Slice(unsafe.StringData(a.nfc), len(a.nfc))
	for i := range a.numWords() {
		w := &a.words[i]
		size := int(w.end - w.start)
		if size > s.maxLen+2 {
			continue
		}
		if size > 8 {
			if s.has(a.nfc[w.start:w.end], w.hash, buf) {
				n++
			}
			continue
		}
		x := packWord(raw, int(w.start), size)
		if x&0x8080808080808080 != 0 {
			if s.has(a.nfc[w.start:w.end], w.hash, buf) {
				n++
			}
			continue
		}
		if s.hasShort(x) {
			n++
		}
	}
	return n
}
