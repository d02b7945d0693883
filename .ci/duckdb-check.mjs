// Checks that DuckDB reads winnow's shards as they are: every kept
// document once, the columns the README lists present.
// Usage: node duckdb-check.mjs OUT
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const out = process.argv[2];
const stats = JSON.parse(readFileSync(`${out}/stats.json`, 'utf8'));
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const glob = `${out}/lang=*/*.parquet`;
const [n] = await rows(`select count(*) as n, count(distinct id) as ids, count(distinct lang) as langs
  from read_parquet('${glob}', union_by_name = true)`);
console.log(`duckdb: ${n.n} rows, ${n.ids} distinct ids, ${n.langs} languages; stats.json says ${stats.docs_out} kept`);
if (Number(n.n) !== stats.docs_out || Number(n.ids) !== stats.docs_out) {
  console.error('duckdb: row count does not match stats.json');
  process.exit(1);
}
const cols = (await rows(`describe select * from read_parquet('${glob}', union_by_name = true)`)).map((r) => r.column_name);
for (const c of ['id', 'text', 'url', 'lang', 'lang_score', 'source']) {
  if (!cols.includes(c)) {
    console.error(`duckdb: column ${c} missing (have ${cols.join(', ')})`);
    process.exit(1);
  }
}
console.log(`duckdb: columns ${cols.join(', ')}`);
