package perftrace

// arm64 perf register numbers (arch/arm64/include/uapi/asm/perf_regs.h).
const (
	regLR = 30
	regSP = 31
	regPC = 32
)

// regsMask asks for the link register, stack pointer and PC, written in
// bit order.
const regsMask = 1<<regLR | 1<<regSP | 1<<regPC

const regsCount = 3

// stackBytes: in a leaf wrapper the return address is still in the link
// register at the svc instruction; no stack copy is needed.
const stackBytes = 0

// decodeRegs returns the user PC and the link register.
func decodeRegs(r *[regsCount]uint64) (ip, ret uint64) { return r[2], r[0] }
