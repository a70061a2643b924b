package crashtest

import "syscall"

// dieWithTest makes the kernel kill a server when the test process dies
// without running its cleanups (a go test timeout, a closed output pipe),
// so that no server outlives the test. The signal is tied to the thread
// that starts the server; Go keeps its threads unless a goroutine exits
// while locked to one, which this package never does.
func dieWithTest() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
