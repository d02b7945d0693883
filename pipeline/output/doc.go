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
// Every Parquet and Arrow shard of a run has one schema; rejected shards
// add reason after source. In order: id (string, required), text
// (string), url (string, null when empty), lang (string), lang_score
// (double), source (string); reason in rejected shards; the columns the
// stages declare (Options.Columns), in order; the passthrough fields, in
// first-seen order; extra.
//
// A signal "stage.name" is member name of the struct column stage (all
// members doubles), so SQL engines address it as a struct path without
// quoting; a signal without a dot is a double column. A declared field
// has the type its pipeline.Column.Shape gives.
//
// # Passthrough types
//
// Passthrough fields arrive as raw JSON. Their types are inferred once,
// before the first row group is written, from a sample (Options.Sample;
// without one, from the documents buffered until then): string →
// string, integer → int64, other numbers → double (int64 widens to
// double when both occur), bool → bool, object → struct (the union of
// the members seen), array → list of the element type. A field whose
// sampled values cannot share a type, that is not valid JSON, nests
// deeper than 32 levels, has more than 256 members or 1,024 leaf columns,
// keys that cannot name a column, numbers that int64 and double cannot
// hold exactly, or only nulls, becomes a string column holding each
// value's JSON text. An empty object is written as the JSON text "{}"
// (Parquet has no empty groups). Invalid UTF-8 in strings is replaced by
// U+FFFD, as Parquet readers reject it.
//
// After that the schema never changes. A value that does not fit its
// column, a field first seen later or past Options.MaxFields, an
// undeclared signal not in the sample, and a record's own reason or extra
// field go, unaltered, into the extra column: a JSON object (null when
// empty). Nothing is lost and nothing is converted. A field named like a
// canonical column gives way to it. A field named extra holding a JSON
// object as text (a shard of an earlier run read back) is unpacked into
// its members.
//
// JSONL shards have no schema to share: each line holds the document's
// fields as they came, signals nested per stage as in Parquet.
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
