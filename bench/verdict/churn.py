"""churn.py ITERATIONS fresh|reuse [MIB]: copies a MIB-MiB buffer (default
64) ITERATIONS times. "fresh" makes a new bytearray for every copy, which
glibc maps and unmaps (above its mmap threshold's 32 MiB cap): every page
is faulted in again on every iteration. "reuse" copies into one buffer."""
import sys

iterations = int(sys.argv[1])
fresh = sys.argv[2] == "fresh"
size = (int(sys.argv[3]) if len(sys.argv) > 3 else 64) << 20
src = bytes(range(256)) * (size // 256)
buf = bytearray(size)
view = memoryview(buf)
total = 0
for i in range(iterations):
    if fresh:
        buf = bytearray(src)
    else:
        view[:] = src
    total += buf[(i * 4096) % size]
print(total)
