//go:build cgo

package testref

const haveCgo = true
