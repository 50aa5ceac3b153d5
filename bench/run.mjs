// Runs every benchmark against the built package (`npm run bench` builds it first) and
// prints the results as Markdown. Each benchmark also runs alone: `node bench/parse.mjs`.
import * as http from './http.mjs';
import * as inboxSqlite from './inbox-sqlite.mjs';
import * as parse from './parse.mjs';
import * as size from './size.mjs';
import { machine, requireDist } from './util.mjs';

requireDist();
const m = machine();
console.log(`# uanataca-webhooks benchmarks\n`);
console.log(`${m.date} · ${m.cpu} · ${m.cores} cores · Node ${m.node} · ${m.os}`);
const started = Date.now();
for (const bench of [parse, http, inboxSqlite, size]) bench.print(await bench.run());
console.log(`\nTotal time: ${Math.round((Date.now() - started) / 1000)} s`);
