//go:build linux

package uprobe

// x86-64 perf register numbers (arch/x86/include/uapi/asm/perf_regs.h).
const (
	regAX = 0
	regDX = 3
	regSI = 4
	regDI = 5
)

// regsMask asks for rax, rdx, rsi, rdi; the kernel writes them in bit
// order.
const regsMask = 1<<regAX | 1<<regDX | 1<<regSI | 1<<regDI

const regsCount = 4

// stackBytes: at a function's first instruction the return address is the
// top of the user stack.
const stackBytes = 8

// decodeRegs maps the sampled registers to the System V arguments (rdi,
// rsi, rdx) and the return value (rax); the caller comes from the stack.
func decodeRegs(r *[regsCount]uint64) (args [3]uint64, ret, caller uint64) {
	return [3]uint64{r[3], r[2], r[1]}, r[0], 0
}
