"""Builds a batch of 60,000 small records (1-tuples of ints) and drops it, N times.

CPython's small-object allocator (obmalloc) carves objects out of 1 MiB arenas
that it maps with mmap and unmaps as soon as the last object in one dies. When a
whole batch dies at once, its arenas are unmapped, and the next batch maps and
faults in fresh ones. With "pin" the script keeps one record in a thousand of
the latest batch alive until the next batch is built, so no arena ever empties
and the same pages are reused.

    python3 batches.py N [pin]
"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
pin = len(sys.argv) > 2 and sys.argv[2] == "pin"
pins = []
total = 0
for it in range(n):
    batch = [(i + it,) for i in range(60000)]
    total += len(batch)
    if pin:
        pins[:] = batch[::1000]
    del batch
print(total)
