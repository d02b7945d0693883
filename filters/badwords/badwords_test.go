package badwords

import (
	"strings"
	"testing"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

func TestMatcherCounts(t *testing.T) {
	m := NewMatcher([]string{"ass", "2 girls 1 cup", "他妈的", "セックス", "sm", "13.", "bitch", "奶", "개새끼"})
	for _, c := range []struct {
		text string
		want int
	}{
		{"what an ass", 1},
		{"an Ass, an ASS!", 2},
		{"a classic assessment of the passage", 0}, // word boundaries
		{"watch 2 girls 1 cup now", 1},
		{"2 girls 1 cupcake", 0},
		{"bitch-slap", 1}, // hyphen is a word boundary
		{"我他妈的很好", 1},     // Han: substring
		{"他妈", 0},
		{"これはセックスフレンドです", 1}, // katakana: substring inside a longer word
		{"sm嗜好", 1},          // Latin entry next to Han: whole word
		{"smart嗜好", 0},
		{"在13点见", 0},  // the entry "13." has no letter: left out
		{"奶奶做了粥", 0},  // single Han characters are left out
		{"이 개새끼야", 1}, // Korean: particles and endings follow the entry
		{"새끼 고양이", 0},
		{"", 0},
	} {
		words := text.AppendWords(nil, text.NFC(c.text))
		if got, _ := m.Count(words, nil); got != c.want {
			t.Errorf("%q: %d matches, want %d", c.text, got, c.want)
		}
	}
}

func TestAutomatonOverlaps(t *testing.T) {
	a := compile([]string{"he", "she", "his", "hers"})
	if got := a.count([]byte("ushers")); got != 3 {
		t.Errorf("ushers: %d, want 3 (she, he, hers)", got)
	}
	if got := a.count([]byte("hhhhhh")); got != 0 {
		t.Errorf("hhhhhh: %d", got)
	}
}

func TestListsEmbedded(t *testing.T) {
	lists, err := Lists()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"en", "de", "fr", "zh", "ja", "ru", "ar", "hi", "th", "ko", "tl", "nb"} {
		if len(lists[l]) == 0 {
			t.Errorf("no list for %s", l)
		}
	}
	if len(lists) < 28 {
		t.Errorf("%d languages, want ≥ 28", len(lists))
	}
}

// doc returns a document of n words in lang with k of them "fuck".
func doc(lang string, n, k int) *pipeline.Document {
	filler := map[string]string{"en": "word", "de": "Wort", "ru": "слово"}[lang]
	w := make([]string, n)
	for i := range w {
		w[i] = filler
		if i < k {
			w[i] = map[string]string{"en": "fuck", "de": "Fotze", "ru": "блядь"}[lang]
		}
	}
	return &pipeline.Document{Lang: lang, Text: strings.Join(w, " ")}
}

func TestStageThresholds(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		doc        *pipeline.Document
		wantReason string
	}{
		{"en 300 words, 3 matches: fraction 0.01, not above", doc("en", 300, 3), ""},
		{"en 299 words, 3 matches: fraction just above 0.01", doc("en", 299, 3), ReasonTooManyBadWords},
		{"en 20 words, 2 matches: below min_count", doc("en", 20, 2), ""},
		{"en 20 words, 3 matches", doc("en", 20, 3), ReasonTooManyBadWords},
		{"de 100 words, 5 matches", doc("de", 100, 5), ReasonTooManyBadWords},
		{"ru 100 words, 1 match", doc("ru", 100, 1), ""},
		{"ru 100 words, 4 matches", doc("ru", 100, 4), ReasonTooManyBadWords},
		{"zh: grandmother (奶奶) cooks porridge", &pipeline.Document{Lang: "zh", Text: "每天早上，奶奶都会为全家人做一锅热腾腾的粥。奶奶喜欢喝牛奶。奶奶和爷爷。"}, ""},
		{"zh: 他妈的 three times in 30 characters", &pipeline.Document{Lang: "zh", Text: "他妈的真是太好了他妈的我们走吧他妈的好好好好好好好好好"}, ReasonTooManyBadWords},
		{"language without a list is not scored", &pipeline.Document{Lang: "xx", Text: "fuck fuck fuck"}, ""},
	} {
		r, err := s.Process(c.doc)
		if err != nil || r != c.wantReason {
			t.Errorf("%s: reason %q (err %v), want %q", c.name, r, err, c.wantReason)
		}
	}
	d := &pipeline.Document{Lang: "xx", Text: "fuck"}
	if _, err := s.Process(d); err != nil || len(d.Signals) != 0 {
		t.Errorf("unscored document got signals %v", d.Signals)
	}
	fb, _ := New(Config{FallbackLang: "en"})
	if r, _ := fb.Process(&pipeline.Document{Lang: "xx", Text: "fuck fuck fuck"}); r != ReasonTooManyBadWords {
		t.Errorf("fallback en: reason %q", r)
	}
	if _, err := New(Config{FallbackLang: "qq"}); err == nil {
		t.Error("unknown fallback language accepted")
	}
}

func TestPathological(t *testing.T) {
	s, _ := New(Config{})
	for _, txt := range []string{
		strings.Repeat("😀", 1<<18),
		strings.Repeat("a", 1<<20),
		strings.Repeat("他", 1<<18),
		strings.Repeat("ass ", 1<<16),
	} {
		if _, err := s.Process(&pipeline.Document{Lang: "zh", Text: txt}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Process(&pipeline.Document{Lang: "en", Text: txt}); err != nil {
			t.Fatal(err)
		}
	}
}
