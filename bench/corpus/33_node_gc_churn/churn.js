// Control: a transform that builds 4,096 rows of 8 small {x, y} objects per
// request and drops them (young-generation garbage), against one that updates
// the same objects kept in a pool. The churn costs scavenges (about 400 per
// 2,000 requests) and allocation work, but V8 keeps reusing its semi-space
// pages: no mmap, munmap, madvise or extra page faults per request on either
// side. The gap is the garbage collector's and the allocator's CPU time.
//
//   node churn.js N          new objects per request
//   node churn.js N reuse    the same objects, updated in place
'use strict';
const n = Number(process.argv[2]) || 100;
const reuse = process.argv[3] === 'reuse';
const ROWS = 4096, COLS = 8;
const pool = [];
for (let r = 0; r < ROWS; r++) {
  const row = [];
  for (let c = 0; c < COLS; c++) row.push({ x: 0, y: 0 });
  pool.push(row);
}
let sum = 0;
for (let it = 0; it < n; it++) {
  for (let r = 0; r < ROWS; r++) {
    const row = reuse ? pool[r] : new Array(COLS);
    for (let c = 0; c < COLS; c++) {
      if (reuse) {
        const p = row[c];
        p.x = it + c;
        p.y = r - c;
      } else {
        row[c] = { x: it + c, y: r - c };
      }
    }
    const p = row[it % COLS];
    sum += p.x + p.y;
  }
}
console.log(sum);
