package reexec

import "syscall"

func gettid() int { return syscall.Gettid() }
