// Package diagnose explains why one candidate of a measured result is
// slower than another when memory management is the reason. It reads a
// *result.Result and never measures: Diagnose returns findings, most
// important first, and Proposals returns the experiments (an environment,
// or a rewritten statement) that would verify a fix the result does not
// cover yet. The measurement layer runs those and calls Diagnose again; a
// fix is marked verified only when the result contains its measurement.
//
// # What is diagnosed
//
// Every significant comparison (Comparison.Significant, Mann-Whitney U at
// stats.Alpha) between user candidates under the baseline configuration in
// the primary mode is a pair: the slow and the fast candidate and their
// time gap (difference of medians). A comparison that is not significant
// produces no cause finding: there is nothing to explain. For each pair
// the diagnosis looks for the signature of each cause in docs/causes.md in
// the diagnostic passes (memory syscalls per iteration from the trace pass,
// large allocations from the allocation pass) and in the fault counts of
// the timing pass; a cause is reported only with the numbers it rests on
// (Finding.Evidence, each with its unit and pass). Two kinds of findings
// do not explain a gap and are reported regardless of significance: an
// order effect (a candidate's result depends on what ran before it in the
// same process) and a configuration regression (an experiment that made a
// candidate much slower: "try jemalloc" makes the seed case worse).
//
// # Explains: how much of the gap a cause accounts for
//
// Explains is a share of the gap between the finding's candidate and the
// fast one under the finding's configuration, from two independent figures:
//
//   - the fault model: (extra minor faults per iteration) x (the cost of one
//     fault calibrated on this machine, Host.FaultCostSeconds, stretched by
//     the candidates' elapsed over CPU time when the machine was busy while
//     timing: busyStretch) / gap. When the
//     host has no calibrated figure FallbackFaultCost (1 µs) is used and the
//     confidence drops, since a fault costs ~0.5-1 µs on bare metal and ten
//     times that in a VM with shadow paging. The model counts every fault at
//     the 4 KiB price, so it underestimates huge-page faults (~110 µs each
//     on the project's VM) and ignores the syscalls themselves;
//   - the matrix: the share of the gap that disappears under a configuration
//     that removes this cause's faults and nothing else, (gap - gap there) /
//     gap. "Removes the faults" means the slow side faults no more than the
//     fast side there (up to 10% of the baseline difference); "nothing else"
//     means the fast side is at most 1.25x slower there and the slow one
//     faster. The least invasive such configuration is used (a tunable of the
//     allocator in use before an allocator swap), the one removing most
//     among equals.
//
// The matrix figure is reported when it exists: it is a measurement of the
// removal, while the fault model is a cost estimate. Both are clamped to
// [0, 1]. When several fault mechanisms fire on the same slow side each is
// weighted by the bytes per iteration it makes the slow side fault in again.
// Findings are ordered by the time they account for (Explains x gap), so a
// cause that explains most of a small residual gap under another
// configuration (extra-buffer under glibc-tuned) follows the cause of the
// large one.
//
// # Confidence
//
//   - high: the cause's own signature is in the diagnostic passes AND a
//     configuration that removes the mechanism removes at least half of the
//     gap, or as much as the calibrated fault model predicts (within 25
//     points);
//   - medium: the signature with weaker support (a removing configuration
//     that takes less than half, or a calibrated fault model accounting for
//     at least a quarter of the gap), or a removal in the matrix without the
//     signature;
//   - low: anything else, including a figure that rests on an uncalibrated
//     fault cost alone.
//
// Causes that are not fault-based have their own documented rules
// (extra-buffer: the measured rewrite; order-effect: the p-value and the
// fault counts; config-regression: whether faults rose with the time).
//
// # Fixes
//
// Env fixes are verified from the matrix: every configuration in the result
// under which the pair's fault gap is gone, the slow candidate is at least
// 1.1x faster and the fast one at most 1.5x slower (Fix.Config names it,
// Fix.Ratio is slow/fast there, Fix.Speedup old/new time of the slow side).
// Code fixes are verified by candidates whose FixOf names the slow one.
// Fixes the result does not measure yet are listed unverified and returned
// by Proposals. Verified fixes come first, the largest speedup first; among
// those within 10% of the best, the least invasive first.
package diagnose
