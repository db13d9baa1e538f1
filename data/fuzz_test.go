package data

import (
	"bytes"
	"testing"
)

// FuzzDecodeCIFAR10 decodes arbitrary bytes as CIFAR-10 records: errors, never panics.
func FuzzDecodeCIFAR10(f *testing.F) {
	f.Add(record(3), 1)
	f.Add(append(record(1), record(11)...), 2)
	f.Add([]byte{1, 2, 3}, 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n > 64 {
			n = 64
		}
		d, err := DecodeCIFAR10(bytes.NewReader(b), n)
		if err == nil && d.Len() != n {
			t.Fatalf("%d records, asked %d", d.Len(), n)
		}
	})
}
