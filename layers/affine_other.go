//go:build !amd64 || purego

package layers

func affineRows16(d, scale, shift *float32, rows, groups int) {
	panic("layers: affineRows16 without the amd64 kernel")
}
