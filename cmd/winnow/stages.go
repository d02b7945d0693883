package main

// The stages winnow runs register themselves when their packages load.
import (
	_ "github.com/winnow-data/winnow/filters/extract"
	_ "github.com/winnow-data/winnow/filters/langid"
)
