package perfring

import "golang.org/x/sys/unix"

// Release closes perf event fds in the background, all at once. Closing a
// tracepoint event waits for the kernel's RCU grace periods (tens of
// milliseconds each here, a third of a second for a trace pass's events
// one after another), and nothing needs to wait for the close once the
// events are disabled and their rings drained: the recording is complete.
// Not for uprobes: removing one stalls every fork on the machine while it
// lasts (internal/uprobe waits for its closes).
func Release(fds []int) {
	for _, fd := range fds {
		go func() { _ = unix.Close(fd) }()
	}
}
