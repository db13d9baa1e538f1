//go:build !cgo

package model

// haveCgo reports whether the test binary has cgo (and so HDF5).
const haveCgo = false
