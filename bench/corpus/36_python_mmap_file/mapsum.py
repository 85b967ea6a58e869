# A reader that maps its 32 MiB data file with mmap for every query, sums a
# sample of it (one byte in 512: every page is touched) and closes the map,
# against one that maps the file once and keeps the mapping.
#
# Each new mapping starts with no pages: the first touch of every page faults
# it in from the page cache (the kernel maps up to 16 neighbouring cached pages
# per fault), and close() unmaps it all again.
#
#   python3 mapsum.py N         mmap + close per query
#   python3 mapsum.py N once    one mapping for all queries
import mmap
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
once = len(sys.argv) > 2 and sys.argv[2] == "once"
total = 0
with open("data.bin", "rb") as f:
    kept = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if once else None
    for it in range(n):
        m = kept if once else mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        total += sum(m[::512])
        if not once:
            m.close()
print(total)
