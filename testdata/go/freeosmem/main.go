// freeosmem: per iteration, a 16 MiB slice filled and dropped, then
// debug.FreeOSMemory: the Go runtime returns the pages with madvise from
// its own runtime.madvise. Unmarked.
//
// usage: freeosmem N
package main

import (
	"os"
	"runtime/debug"
	"strconv"
)

var sink []byte

func main() {
	n := 1
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	for i := 0; i < n; i++ {
		sink = make([]byte, 16<<20)
		for j := range sink {
			sink[j] = byte(j)
		}
		sink = nil
		debug.FreeOSMemory()
	}
}
