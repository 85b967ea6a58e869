//go:build unix

package mark

import "golang.org/x/sys/unix"

func valid(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// write writes b with one write(2); a marker lost to an error is better
// than a benchmark that stops.
func write(fd int, b []byte) {
	for {
		_, err := unix.Write(fd, b)
		if err != unix.EINTR {
			return
		}
	}
}

// faults returns the process's minor and major page faults so far.
func faults() (int64, int64) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return ru.Minflt, ru.Majflt
}
