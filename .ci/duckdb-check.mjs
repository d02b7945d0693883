// Checks that DuckDB reads winnow's shards as they are: a plain glob
// (no union_by_name) reads every shard of the run as one table, every
// kept document once, the columns the README lists present, signals
// addressable as struct paths without quoting; with --rejected, the
// rejected shards read the same way and add only `reason`.
// Usage: node duckdb-check.mjs OUT [--rejected]
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, existsSync } from 'node:fs';

const out = process.argv[2];
// Stages of the default pipeline that write signals.
const signalGroups = ['url_filter', 'exact_dedup', 'url_dedup', 'line_dedup', 'gopher_repetition', 'gopher_quality',
  'c4', 'fineweb', 'line_repetition', 'pii', 'badwords', 'kl_outliers'];
const rejected = process.argv.includes('--rejected');
const stats = JSON.parse(readFileSync(`${out}/stats.json`, 'utf8'));
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const fail = (msg) => {
  console.error(`duckdb: ${msg}`);
  process.exit(1);
};

const kept = `read_parquet('${out}/lang=*/*.parquet')`;
const [n] = await rows(`select count(*) as n, count(distinct id) as ids, count(distinct lang) as langs from ${kept}`);
console.log(`duckdb: ${n.n} rows, ${n.ids} distinct ids, ${n.langs} languages; stats.json says ${stats.docs_out} kept`);
if (Number(n.n) !== stats.docs_out || Number(n.ids) !== stats.docs_out) fail('row count does not match stats.json');

const describe = async (rel) => (await rows(`describe select * from ${rel}`)).map((r) => [r.column_name, r.column_type]);
const cols = await describe(kept);
const names = cols.map(([c]) => c);
for (const c of ['id', 'text', 'url', 'lang', 'lang_score', 'source', 'extra']) {
  if (!names.includes(c)) fail(`column ${c} missing (have ${names.join(', ')})`);
}
for (const [c, t] of cols) {
  if (c.includes('.')) fail(`column ${c} needs quoting in SQL`);
}
// Signals are doubles, whatever the values of one shard.
for (const [c, t] of cols) {
  if (signalGroups.includes(c) && /BIGINT|INTEGER|VARCHAR/.test(t)) fail(`signal column ${c} is ${t}`);
}
console.log(`duckdb: columns ${cols.map(([c, t]) => `${c} ${t}`).join(', ')}`);

// A signal is a struct path, no quoting.
if (names.includes('gopher_quality')) {
  const [g] = await rows(`select count(gopher_quality.words) as w, typeof(any_value(gopher_quality.words)) as t from ${kept}`);
  if (g.t !== 'DOUBLE') fail(`gopher_quality.words is ${g.t}, want DOUBLE`);
  console.log(`duckdb: gopher_quality.words set on ${g.w} rows`);
}
if (names.includes('lang_top3')) {
  const [t] = await rows(`select typeof(any_value(lang_top3[1].score)) as t from ${kept}`);
  if (t.t !== 'DOUBLE') fail(`lang_top3[1].score is ${t.t}, want DOUBLE`);
}

if (rejected) {
  if (!existsSync(`${out}/rejected`)) fail('no rejected/ directory');
  const rej = `read_parquet('${out}/rejected/*.parquet')`;
  const [r] = await rows(`select count(*) as n from ${rej}`);
  console.log(`duckdb: ${r.n} rejected rows; stats.json says ${stats.docs_rejected}`);
  if (Number(r.n) !== stats.docs_rejected) fail('rejected row count does not match stats.json');
  const rcols = await describe(rej);
  const want = [...cols];
  want.splice(names.indexOf('source') + 1, 0, ['reason', 'VARCHAR']);
  if (JSON.stringify(rcols) !== JSON.stringify(want)) {
    fail(`rejected columns differ from kept ones plus reason:\n  ${JSON.stringify(rcols)}\n  ${JSON.stringify(want)}`);
  }
}
