package urlfilter_test

import (
	"fmt"

	"github.com/winnow-data/winnow/filters/urlfilter"
)

func ExampleFilter_Check() {
	f := urlfilter.NewFilter(urlfilter.DefaultBannedWords, urlfilter.DefaultSoftBannedWords, urlfilter.DefaultSoftBannedMin)
	f.AddDomain("blocked.example")
	for _, u := range []string{
		"https://www.blocked.example/page",
		"https://news.example/free-porn-videos",
		"https://school.example/sex-education",
		"https://news.example/hot-sex",
	} {
		fmt.Printf("%q\n", f.Check(u).Blocked)
	}
	// Output:
	// "blocked_domain"
	// "banned_word"
	// ""
	// "soft_banned_words"
}
