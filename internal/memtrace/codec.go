package memtrace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The binary form of an Event travels from the tracing supervisor process
// to faultline over a pipe (internal/proc). It is compact because a busy
// target produces tens of thousands of events and the supervisor shares the
// CPU with it: a kind byte, then varints, then the marker text with its
// length.

// callCodes numbers the calls on the wire; index 0 is invalid.
var callCodes = []string{"", CallBrk, CallMmap, CallMunmap, CallMremap, CallMadvise, CallMark, CallExec, CallFork, CallExit, CallMprotect}

func callCode(c string) byte {
	for i, n := range callCodes {
		if i > 0 && n == c {
			return byte(i)
		}
	}
	return 0
}

// AppendBinary appends the binary form of e to b.
func (e Event) AppendBinary(b []byte) ([]byte, error) {
	code := callCode(e.Call)
	if code == 0 {
		return b, fmt.Errorf("encode event: unknown call %q", e.Call)
	}
	var flags byte
	if e.Truncated {
		flags |= 1
	}
	b = append(b, code, flags)
	b = binary.AppendVarint(b, int64(e.Pid))
	b = binary.AppendVarint(b, int64(e.Tid))
	b = binary.AppendVarint(b, int64(e.At))
	b = binary.AppendUvarint(b, e.Addr)
	b = binary.AppendVarint(b, e.Size)
	b = binary.AppendVarint(b, e.Old)
	b = binary.AppendVarint(b, int64(e.Advice))
	b = binary.AppendUvarint(b, e.Flags)
	b = binary.AppendVarint(b, e.Ret)
	b = binary.AppendVarint(b, int64(e.Prot))
	b = binary.AppendVarint(b, int64(e.Fd))
	b = binary.AppendUvarint(b, uint64(len(e.Text)))
	return append(b, e.Text...), nil
}

var errShort = errors.New("decode event: truncated")

// UnmarshalBinary decodes an event written by AppendBinary. It rejects
// anything else with an error and never panics.
func (e *Event) UnmarshalBinary(b []byte) error {
	if len(b) < 2 {
		return errShort
	}
	if int(b[0]) == 0 || int(b[0]) >= len(callCodes) {
		return fmt.Errorf("decode event: unknown call code %d", b[0])
	}
	if b[1]&^1 != 0 {
		return fmt.Errorf("decode event: unknown flags %#x", b[1])
	}
	*e = Event{Call: callCodes[b[0]], Truncated: b[1]&1 != 0}
	b = b[2:]
	var err error
	varint := func() int64 {
		if err != nil {
			return 0
		}
		v, n := binary.Varint(b)
		if n <= 0 {
			err = errShort
			return 0
		}
		b = b[n:]
		return v
	}
	uvarint := func() uint64 {
		if err != nil {
			return 0
		}
		v, n := binary.Uvarint(b)
		if n <= 0 {
			err = errShort
			return 0
		}
		b = b[n:]
		return v
	}
	e.Pid = int(varint())
	e.Tid = int(varint())
	e.At = time.Duration(varint())
	e.Addr = uvarint()
	e.Size = varint()
	e.Old = varint()
	e.Advice = int(varint())
	e.Flags = uvarint()
	e.Ret = varint()
	e.Prot = int(varint())
	e.Fd = int(varint())
	n := uvarint()
	if err != nil {
		return err
	}
	if n != uint64(len(b)) || n > MaxMark {
		return fmt.Errorf("decode event: text of %d bytes in a %d-byte remainder", n, len(b))
	}
	e.Text = string(b)
	return nil
}
