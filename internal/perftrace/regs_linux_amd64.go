package perftrace

// x86-64 perf register numbers (arch/x86/include/uapi/asm/perf_regs.h).
const (
	regSP = 7
	regIP = 8
)

// regsMask asks for the user stack pointer and instruction pointer; the
// kernel writes them in bit order.
const regsMask = 1<<regSP | 1<<regIP

const regsCount = 2

// stackBytes: at the syscall instruction of a leaf wrapper (glibc's
// madvise, munmap, mmap, brk; Go's runtime.madvise) the return address
// into the wrapper's caller is the top of the user stack.
const stackBytes = 8

// decodeRegs returns the user IP and, where a register holds it, the
// return address (none on x86-64: it is on the stack).
func decodeRegs(r *[regsCount]uint64) (ip, ret uint64) { return r[1], 0 }
