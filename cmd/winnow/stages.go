package main

// The stages winnow runs register themselves when their packages load.
import (
	_ "github.com/winnow-data/winnow/dedup/exact"
	_ "github.com/winnow-data/winnow/dedup/linededup"
	_ "github.com/winnow-data/winnow/dedup/minhash"
	_ "github.com/winnow-data/winnow/dedup/urldedup"
	_ "github.com/winnow-data/winnow/filters/badwords"
	_ "github.com/winnow-data/winnow/filters/classifier"
	_ "github.com/winnow-data/winnow/filters/extract"
	_ "github.com/winnow-data/winnow/filters/kloutliers"
	_ "github.com/winnow-data/winnow/filters/langid"
	_ "github.com/winnow-data/winnow/filters/pii"
	_ "github.com/winnow-data/winnow/filters/quality"
	_ "github.com/winnow-data/winnow/filters/urlfilter"
)
