// Package minhash holds the minhash stage: near-duplicate removal by
// MinHash-LSH over word shingles of the dedup normalisation (Llama 3
// section 3.1.1), one document kept per cluster, with dup_cluster_id and
// dup_cluster_size written on every document.
//
// Forms: Stage, the single-machine stage, whose preparatory pass can also
// be split over the tasks of a cluster job (pipeline.Exchanger; file
// formats in exchange.go); Staged, a band-parallel multi-task form; Index,
// the LSH index both build on. Figures, memory and file sizes per document
// are in dedup/README.md.
package minhash
