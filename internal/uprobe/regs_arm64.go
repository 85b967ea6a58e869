//go:build linux

package uprobe

// arm64 perf register numbers (arch/arm64/include/uapi/asm/perf_regs.h).
const (
	regX0 = 0
	regX1 = 1
	regX2 = 2
	regLR = 30
)

// regsMask asks for x0-x2 and the link register, written in bit order.
const regsMask = 1<<regX0 | 1<<regX1 | 1<<regX2 | 1<<regLR

const regsCount = 4

// stackBytes: the return address is in the link register at a function's
// first instruction; no stack copy is needed.
const stackBytes = 0

// decodeRegs maps the sampled registers to the AAPCS64 arguments (x0-x2),
// the return value (x0, at a return probe) and the caller (lr).
func decodeRegs(r *[regsCount]uint64) (args [3]uint64, ret, caller uint64) {
	return [3]uint64{r[0], r[1], r[2]}, r[0], r[3]
}
