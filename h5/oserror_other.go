//go:build !unix

package h5

import "syscall"

func errnoName(e syscall.Errno) string { return "" }

func nameErrno(err error) error { return err }
