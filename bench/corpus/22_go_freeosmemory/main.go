// Command decode decodes a batch into a fresh 16 MiB buffer per iteration,
// as a service that handles one large request at a time.
//
// With -free it calls debug.FreeOSMemory after every request, the usual
// advice for keeping a Go process's RSS down: a forced GC plus returning every
// free page to the kernel (madvise). The next request faults the buffer's pages
// in again. Without it the program forces the same GC with runtime.GC, so both
// sides collect equally and only the release differs.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

func main() {
	free := flag.Bool("free", false, "call debug.FreeOSMemory after every request")
	flag.Parse()
	n := 20
	if flag.NArg() > 0 {
		v, err := strconv.Atoi(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "decode: iteration count:", err)
			os.Exit(2)
		}
		n = v
	}
	var sum int
	for it := 0; it < n; it++ {
		buf := make([]byte, 16<<20)
		for i := range buf {
			buf[i] = byte(i + it)
		}
		sum += int(buf[it*4096%len(buf)])
		buf = nil
		if *free {
			debug.FreeOSMemory()
		} else {
			runtime.GC()
		}
	}
	fmt.Println(sum)
}
