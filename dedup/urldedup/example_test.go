package urldedup_test

import (
	"fmt"

	"github.com/winnow-data/winnow/dedup/urldedup"
)

func ExampleNormalize() {
	fmt.Println(urldedup.Normalize("HTTPS://Example.com:443#comments"))
	// Output: https://example.com/
}
