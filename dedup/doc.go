// Package dedup is the home of winnow's de-duplication stages, after
// Llama 3 section 3.1.1, each in its own package and registered by its
// init function:
//
//   - url_dedup (dedup/urldedup): the most recent version of each URL
//   - exact_dedup (dedup/exact): identical normalised text
//   - minhash (dedup/minhash): near-duplicates by MinHash-LSH, with a
//     staged multi-task form and incremental runs against saved indexes
//   - line_dedup (dedup/linededup): lines repeated across many documents
//
// dedup/dupstats measures duplicate rates without writing a dataset.
// Importing this package registers all four stages.
package dedup

import (
	// Registered for their side effect.
	_ "github.com/winnow-data/winnow/dedup/exact"
	_ "github.com/winnow-data/winnow/dedup/linededup"
	_ "github.com/winnow-data/winnow/dedup/minhash"
	_ "github.com/winnow-data/winnow/dedup/urldedup"
)
