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
// checksum and every size, and parses the object graph when the bundle has one, checking
// that every tensor it names exists and every tensor has a node. It returns the number of
// tensors checked and the first problem.
func Verify(prefix string) (int, error) {
	r, err := Open(prefix)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, _, err := r.verify()
	return n, err
}

// verify is Verify on an open bundle; it also returns the keys it could not read
// (partitioned variables, dtypes this package does not decode).
func (r *Reader) verify() (int, []string, error) {
	n := 0
	var unreadable []string
	for _, e := range r.entries {
		if e.Sliced || !e.DType.Valid() {
			unreadable = append(unreadable, e.Key) // listed, but not readable by this package
			continue
		}
		if _, err := r.Read(e.Key); err != nil {
			return n, unreadable, err
		}
		n++
	}
	if !r.Has(ObjectGraphKey) {
		return n, unreadable, nil
	}
	g, err := r.objectGraph()
	if err != nil {
		return n, unreadable, err
	}
	named := map[string]bool{ObjectGraphKey: true}
	for i, nd := range g.Nodes {
		for _, a := range nd.Attributes {
			if !r.Has(a.CheckpointKey) {
				return n, unreadable, errorf(IndexFile(r.prefix), a.CheckpointKey, -1, ErrFormat, "object graph node %d (%s) names a tensor the bundle does not have", i, a.FullName)
			}
			named[a.CheckpointKey] = true
		}
	}
	for _, e := range r.entries {
		if !named[e.Key] {
			return n, unreadable, errorf(IndexFile(r.prefix), e.Key, -1, ErrFormat, "tensor belongs to no node of the object graph")
		}
	}
	return n, unreadable, nil
}
