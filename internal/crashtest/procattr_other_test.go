//go:build !linux

package crashtest

import "syscall"

// dieWithTest has no portable equivalent outside Linux: there, a server
// outlives a test process that dies without running its cleanups.
func dieWithTest() *syscall.SysProcAttr { return nil }
