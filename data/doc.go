// Package data provides the datasets of kerasgo's seed workflow: a reader for the CIFAR-10
// binary distribution and an embedded synthetic dataset of the same shape that needs no
// download.
//
// # Format
//
// The CIFAR-10 binary version (cifar-10-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html)
// holds data_batch_1.bin ... data_batch_5.bin (10000 images each) and test_batch.bin. Each
// file is a sequence of 3073-byte records: one label byte (0-9), then 1024 red, 1024 green
// and 1024 blue bytes, each a 32x32 plane in row-major order. Images are returned as Keras's
// cifar10.load_data returns them after the seed's scaling: float32 NHWC (n, 32, 32, 3) with
// values byte/255, and labels as uint8 (n, 1).
//
// # Limitations
//
// Only the binary version is read (not the Python pickle or MATLAB versions).
package data
