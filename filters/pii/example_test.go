package pii_test

import (
	"fmt"

	"github.com/winnow-data/winnow/filters/pii"
	"github.com/winnow-data/winnow/pipeline"
)

func Example() {
	s, _ := pii.New(pii.Config{})
	doc := &pipeline.Document{Text: "Write to jane@example.org or call +44 20 7946 0958 (server 8.8.8.8, router 192.168.0.1)."}
	s.Process(doc)
	fmt.Println(doc.Text)
	n, _ := doc.Signal("pii.emails")
	fmt.Println("emails:", n)
	// Output:
	// Write to <EMAIL> or call <PHONE> (server <IP_ADDRESS>, router 192.168.0.1).
	// emails: 1
}
