# A coordinator that keeps a 256 MiB table (a bytearray, one record per 4 KiB
# page) and, for every task, starts a multiprocessing worker and updates one
# byte of every record while the worker runs.
#
# With the 'fork' start method each worker is a fork() of the coordinator:
# the kernel marks all 65,536 pages of the table copy-on-write in both
# processes, so the coordinator's next write to each page takes a fault (a
# copy while the child still maps it). With 'forkserver' the workers are
# forked from a small server process started once (exec'd, without the
# table), so the coordinator's pages stay its own.
#
#   python3 forkpool.py N fork          fork a worker per task
#   python3 forkpool.py N forkserver    workers from the fork server
import multiprocessing as mp
import sys


def task(i):
    return i * i


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    method = sys.argv[2] if len(sys.argv) > 2 else "fork"
    ctx = mp.get_context(method)
    table = bytearray(256 << 20)
    pages = len(table) // 4096
    for it in range(n):
        p = ctx.Process(target=task, args=(it,))
        p.start()
        # one byte of every record, written in C (extended slice assignment)
        table[it % 4096::4096] = bytes([it & 0xFF]) * pages
        p.join()
    print(sum(table[::4096 * 64]))


if __name__ == "__main__":
    main()
