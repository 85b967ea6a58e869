// A handler that builds each response in a fresh zero-filled 8 MiB Buffer
// (Buffer.alloc: Node's ArrayBuffer allocator calloc()s the backing store),
// fills it and drops it. The backing stores are freed only when V8 collects
// their wrappers: a scavenge on "external memory pressure" every few buffers,
// so several 8 MiB blocks are freed together. glibc serves them from the brk
// heap (its dynamic mmap threshold rose to 8 MiB after the first frees) and,
// when the freed top exceeds the trim threshold (16 MiB), gives it back with
// brk; the next buffers grow the heap again and fault every page in.
//
//   node alloc.js N          a new Buffer per request
//   node alloc.js N keep     one Buffer, allocated once and refilled
'use strict';
const n = Number(process.argv[2]) || 100;
const keep = process.argv[3] === 'keep';
const SIZE = 8 << 20;
const kept = keep ? Buffer.alloc(SIZE) : null;
let sum = 0;
for (let it = 0; it < n; it++) {
  const buf = keep ? kept : Buffer.alloc(SIZE);
  buf.fill(it & 0xff);
  sum += buf[(it * 4096) % SIZE];
}
console.log(sum);
