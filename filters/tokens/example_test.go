package tokens_test

import (
	"fmt"

	"github.com/winnow-data/winnow/filters/tokens"
)

func ExampleEncoding_Count() {
	enc, err := tokens.Builtin("cl100k_base")
	if err != nil {
		panic(err)
	}
	fmt.Println(enc.Count("Hello, I'm here!"), enc.Encode("hello world"))
	// Output: 6 [15339 1917]
}
