// Package output writes a run's documents as language-partitioned shards:
// the pipeline.Sink of winnow.
//
// # Layout
//
//	OUT/lang=<code>/part-<task:05d>-<seq:05d>.parquet   kept documents
//	OUT/rejected/part-<task:05d>-<seq:05d>.parquet      rejected, with Options.Rejected
//
// <code> is the document's Lang as pipeline.NormalizeLang files it: an
// ISO 639-shaped code in lower case, else "und" (it names a directory).
// seq counts the shards of one partition of one task from 0; it has five
// digits up to 99,999 and more beyond, where names no longer sort as
// numbers. The extension is .jsonl.zst for JSONL and .arrow for Arrow IPC
// output; layout, rotation and commit are the same.
//
// # Atomic commit
//
// A shard is written under a hidden temporary name in its directory
// (.part-00000-00000.parquet.<RunID>.tmp) and renamed to its final name by
// Close, after every shard is complete: a reader never sees a partial
// shard. A Close that fails (a full disk) removes what it made, and Abort
// removes every file of the writer — temporary or committed, so a caller
// whose own commit point (stats.json) fails takes the shards back — and
// the partition directories it leaves empty. Files go through a small
// Storage interface (create, rename, remove) so object stores can replace
// the local directory.
//
// # Open shards
//
// At most Options.MaxOpenShards (default 128) shards are open at once.
// When a partition needs one more, the least recently written shard is
// closed, and its partition continues in a new shard later: data spread
// over thousands of languages writes more, smaller files, with bounded
// file descriptors and memory, deterministically.
//
// # Columns
//
// In order: id (string, required), text (string), url (string, null when
// empty), lang (string), lang_score (double), source (string); reason
// (string) in rejected shards; then one nullable double column per
// signal, in first-seen order; then the passthrough fields, in first-seen
// order. A signal or field named like a canonical column, or a field named
// like a signal, is skipped in favour of that column.
//
// Passthrough fields arrive as raw JSON; their column types are inferred
// so that structure survives: string → string, integer → int64, other
// numbers → double (int64 widens to double when both occur), bool → bool,
// object → struct (the union of the members seen), array → list of the
// element type, null → a null column until a value is seen. A field whose
// values cannot share a type (a string here, an object there), or that is
// not valid JSON, nests deeper than 32 levels, has more than 256 members
// or keys that cannot name a column, becomes a string column holding each
// value's JSON text. An empty object is written as the JSON text "{}"
// (Parquet has no empty groups). Invalid UTF-8 in strings is replaced by
// U+FFFD, as Parquet readers reject it.
//
// # Schema evolution
//
// A shard's schema is fixed when it opens: it is inferred from the first
// row group written to it (merged with the partition's earlier shards).
// When a later row group does not fit — a new signal or field, or a type
// that must widen — the shard is closed and the next one opens with the
// merged schema. Nothing is lost, and since row-group boundaries depend
// only on the sequence of documents, the output is deterministic.
//
// # Sizes and memory
//
// Row groups, rotation and the memory cap count bytes as DocBytes does:
// uncompressed and independent of the compressor. A partition buffers
// documents until they reach RowGroupBytes (default 32 MiB), then writes
// them as one row group; a shard is closed once MaxShardBytes (default
// 256 MiB) have been written to it. Buffers of all partitions together
// stay under MaxBufferedBytes (default 128 MiB): past it, the partition
// holding the most is written out early as a smaller row group. While a
// row group is encoded its Arrow record and compressed pages exist beside
// the buffer, so peak memory is about MaxBufferedBytes plus twice
// RowGroupBytes.
//
// Same calls, same bytes: no timestamps, no map order, no concurrency
// inside the writer.
package output
