package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kerasgo/kerasgo/tensor"
)

var (
	// ErrFormat reports a file that is not in the CIFAR-10 binary format.
	ErrFormat = errors.New("data: invalid format")
	// ErrNotFound reports a dataset directory without the expected files.
	ErrNotFound = errors.New("data: dataset files not found")
)

// The CIFAR-10 binary layout. These values are part of the file format.
const (
	CIFARSide     = 32
	CIFARChannels = 3
	CIFARClasses  = 10
	cifarPlane    = CIFARSide * CIFARSide
	cifarRecord   = 1 + CIFARChannels*cifarPlane // 3073 bytes
	// maxCIFARRecords bounds one file (the real files hold 10000 records).
	maxCIFARRecords = 1 << 20
)

// CIFARTrainFiles and CIFARTestFile are the file names of the binary distribution.
var (
	CIFARTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	CIFARTestFile   = "test_batch.bin"
)

// Dataset is a set of images and labels: X is float32 (n, 32, 32, 3) in [0, 1] and Y uint8
// (n, 1) class indices, as the seed article uses them.
type Dataset struct {
	X, Y *tensor.Tensor
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return d.X.Shape[0] }

// LoadCIFAR10 reads the CIFAR-10 binary files from dir (or from dir/cifar-10-batches-bin,
// the folder the archive unpacks to) and returns the training set (the five data batches in
// order, 50000 images) and the test set (10000 images).
func LoadCIFAR10(dir string) (train, test *Dataset, err error) {
	if _, err := os.Stat(filepath.Join(dir, CIFARTestFile)); err != nil {
		sub := filepath.Join(dir, "cifar-10-batches-bin")
		if _, err2 := os.Stat(filepath.Join(sub, CIFARTestFile)); err2 == nil {
			dir = sub
		} else {
			return nil, nil, fmt.Errorf("%w: %s has no %s (nor cifar-10-batches-bin/%s)", ErrNotFound, dir, CIFARTestFile, CIFARTestFile)
		}
	}
	var parts []*Dataset
	for _, name := range CIFARTrainFiles {
		d, err := ReadCIFAR10File(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, d)
	}
	train = concat(parts)
	test, err = ReadCIFAR10File(filepath.Join(dir, CIFARTestFile))
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ReadCIFAR10File reads one CIFAR-10 binary file.
func ReadCIFAR10File(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	size := st.Size()
	if size == 0 || size%cifarRecord != 0 {
		return nil, fmt.Errorf("%w: %s: %d bytes is not a whole number of %d-byte CIFAR-10 records", ErrFormat, path, size, cifarRecord)
	}
	n := size / cifarRecord
	if n > maxCIFARRecords {
		return nil, fmt.Errorf("%w: %s: %d records, more than %d", ErrFormat, path, n, maxCIFARRecords)
	}
	d, err := DecodeCIFAR10(f, int(n))
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return d, nil
}

// DecodeCIFAR10 reads n records from r.
func DecodeCIFAR10(r io.Reader, n int) (*Dataset, error) {
	if n < 0 || n > maxCIFARRecords {
		return nil, fmt.Errorf("%w: %d records", ErrFormat, n)
	}
	x := make([]float32, n*cifarPlane*CIFARChannels)
	y := make([]uint8, n)
	rec := make([]byte, cifarRecord)
	for i := 0; i < n; i++ {
		if _, err := io.ReadFull(r, rec); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("%w: record %d: %w", ErrFormat, i, err)
		}
		if rec[0] >= CIFARClasses {
			return nil, fmt.Errorf("%w: record %d: label %d is not a CIFAR-10 class (0-9)", ErrFormat, i, rec[0])
		}
		y[i] = rec[0]
		img := x[i*cifarPlane*CIFARChannels:]
		for c := 0; c < CIFARChannels; c++ {
			plane := rec[1+c*cifarPlane : 1+(c+1)*cifarPlane]
			for p, b := range plane {
				img[p*CIFARChannels+c] = float32(b) / 255
			}
		}
	}
	return &Dataset{
		X: tensor.MustFromFloat32([]int{n, CIFARSide, CIFARSide, CIFARChannels}, x),
		Y: &tensor.Tensor{DType: tensor.Uint8, Shape: []int{n, 1}, Data: y},
	}, nil
}

func concat(parts []*Dataset) *Dataset {
	var n int
	for _, p := range parts {
		n += p.Len()
	}
	x := make([]float32, 0, n*cifarPlane*CIFARChannels)
	y := make([]uint8, 0, n)
	for _, p := range parts {
		x = append(x, p.X.Float32s()...)
		y = append(y, p.Y.Data.([]uint8)...)
	}
	return &Dataset{
		X: tensor.MustFromFloat32([]int{n, CIFARSide, CIFARSide, CIFARChannels}, x),
		Y: &tensor.Tensor{DType: tensor.Uint8, Shape: []int{n, 1}, Data: y},
	}
}
