package checkpoint

import (
	"fmt"
	"io"
	"strings"
)

// Dump writes one line per tensor, "key dtype [d0,d1,...]" in key order, as
// tf.train.list_variables lists a checkpoint (with the dtype added). It reads no tensor data.
func (r *Reader) Dump(w io.Writer) error {
	for _, e := range r.entries {
		dims := make([]string, len(e.Shape))
		for i, d := range e.Shape {
			dims[i] = fmt.Sprint(d)
		}
		extra := ""
		if e.Sliced {
			extra = " (partitioned)"
		}
		if _, err := fmt.Fprintf(w, "%s %s [%s]%s\n", e.Key, dtypeName(e), strings.Join(dims, ","), extra); err != nil {
			return err
		}
	}
	return nil
}

func dtypeName(e Entry) string {
	if e.DType.Valid() {
		return e.DType.String()
	}
	return fmt.Sprintf("dtype(%d)", int32(e.DType))
}

// Verify opens the bundle at prefix and reads every tensor, checking every block and tensor
// checksum and every size, and parses the object graph when the bundle has one. It returns
// the number of tensors checked and the first problem.
func Verify(prefix string) (int, error) {
	r, err := Open(prefix)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for _, e := range r.entries {
		if e.Sliced || !e.DType.Valid() {
			continue // listed, but not readable by this package
		}
		if _, err := r.Read(e.Key); err != nil {
			return n, err
		}
		n++
	}
	if r.Has(ObjectGraphKey) {
		if _, err := r.objectGraph(); err != nil {
			return n, err
		}
	}
	return n, nil
}
