# Writes data.bin, 32 MiB of records, 4 KiB at a time (as a logger or an
# exporter appends them). Written this way the page cache holds it in 4 KiB
# pages; see the README for why that matters on recent kernels.
import os

with open("data.bin", "wb") as f:
    for i in range(8192):
        f.write(os.urandom(4096))
