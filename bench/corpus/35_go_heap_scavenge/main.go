// Command batch handles batches whose buffer size varies from one request to
// the next (24, 72, 40 and 56 MiB, in turn): a fresh slice per request, the
// usual Go way, against one 72 MiB slice kept and resliced.
//
// Every request makes the previous buffer garbage, so a GC runs about once
// per request and the heap goal follows the live buffer's size up and down.
// When the goal drops, the runtime's background scavenger returns the free
// pages above the goal (plus 10%) to the kernel with madvise(MADV_DONTNEED),
// in 64 KiB and 2 MiB chunks; the next, larger request is served from those
// pages and faults them in again. The kept slice is never freed, so nothing is
// returned.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: batch N [reuse]")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "batch: iteration count:", err)
		os.Exit(2)
	}
	reuse := len(os.Args) > 2 && os.Args[2] == "reuse"
	sizes := []int{24 << 20, 72 << 20, 40 << 20, 56 << 20}
	var kept []byte
	if reuse {
		kept = make([]byte, 72<<20)
	}
	sum := 0
	for it := 0; it < n; it++ {
		size := sizes[it%len(sizes)]
		var buf []byte
		if reuse {
			buf = kept[:size]
		} else {
			buf = make([]byte, size)
		}
		// one write per cache line: the request's work
		for i := 0; i < len(buf); i += 64 {
			buf[i] = byte(i + it)
		}
		sum += int(buf[(it*4096)%size])
	}
	fmt.Println(sum)
}
