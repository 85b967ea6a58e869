package mark_test

import (
	"fmt"

	"github.com/faultline/faultline/mark"
)

func work(n int) int {
	s := make([]byte, n)
	for i := range s {
		s[i] = byte(i)
	}
	return len(s)
}

// A benchmark loop marks each iteration of each candidate. Run alone the
// marks cost nothing; under `faultline run ./prog` every iteration's page
// faults and memory system calls are reported per candidate.
func Example() {
	total := 0
	for i := 0; i < 3; i++ {
		mark.Begin("small")
		total += work(1 << 10)
		mark.End("small")

		mark.Begin("large")
		total += work(8 << 20)
		mark.End("large")
	}
	fmt.Println(total)
	// Output: 25168896
}
