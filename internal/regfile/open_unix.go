//go:build unix

package regfile

import "syscall"

// openFlags keeps open(2) from blocking on a named pipe that replaced the file after Stat.
const openFlags = syscall.O_NONBLOCK
