package checkpoint

import (
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
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

// Verify opens the bundle at prefix and checks every tensor's checksum and size, and parses
// the object graph when the bundle has one, checking that every tensor it names exists and
// every tensor has a node. It returns the number of tensors checked and the first problem.
// See VerifyAll for what it checks of tensors this package does not decode.
func Verify(prefix string) (int, error) {
	v, err := VerifyAll(prefix)
	return v.Checked, err
}

// Verification is what VerifyAll found.
type Verification struct {
	// Checked counts the tensors (and slices of partitioned variables) whose CRC-32C was
	// verified.
	Checked int
	// Undecodable lists the keys of tensors this package cannot read as tensors:
	// partitioned variables (their slices are checked) and dtypes it does not decode.
	Undecodable []string
	// Unverified lists the keys whose checksum could not be checked: variant tensors, which
	// TensorFlow checksums element by element in an encoding of their own.
	Unverified []string
}

// VerifyAll is Verify with the keys it could not decode or check. A tensor of a dtype this
// package does not decode (qint8, float8, int4, ...) has its checksum verified over its
// stored bytes; a dtype number that is no TensorFlow type a checkpoint can hold fails with
// ErrFormat.
func VerifyAll(prefix string) (Verification, error) {
	r, err := Open(prefix)
	if err != nil {
		return Verification{}, err
	}
	defer r.Close()
	return r.verify()
}

// tfVariant is TensorFlow's DT_VARIANT.
const tfVariant = 21

// storable reports whether d is a TensorFlow dtype a bundle can hold: a numbered DataType
// other than DT_INVALID, DT_RESOURCE and the reference types.
func storable(d tensor.DType) bool {
	_, ok := tfpb.DataType_name[int32(d)]
	return ok && d > 0 && d != 20 && d < 100
}

// verify is VerifyAll on an open bundle.
func (r *Reader) verify() (Verification, error) {
	var v Verification
	if err := r.checkTotal(); err != nil {
		return v, err
	}
	for _, e := range r.entries {
		switch {
		case e.Sliced:
			v.Undecodable = append(v.Undecodable, e.Key) // its slices are checked below
			continue
		case !storable(e.DType):
			return v, errorf(IndexFile(r.prefix), e.Key, -1, ErrFormat, "dtype %d is not a TensorFlow type a checkpoint can hold", int32(e.DType))
		case e.DType == tfVariant:
			v.Undecodable = append(v.Undecodable, e.Key)
			v.Unverified = append(v.Unverified, e.Key)
			continue
		case !e.DType.Valid():
			v.Undecodable = append(v.Undecodable, e.Key)
			if err := r.checkRaw(e); err != nil {
				return v, err
			}
		default:
			if _, err := r.Read(e.Key); err != nil {
				return v, err
			}
		}
		v.Checked++
	}
	for _, e := range r.slices {
		if !storable(e.DType) || e.DType == tfVariant {
			return v, errorf(IndexFile(r.prefix), e.Key, -1, ErrFormat, "slice of dtype %d", int32(e.DType))
		}
		if err := r.checkRaw(e); err != nil {
			return v, err
		}
		v.Checked++
	}
	if !r.Has(ObjectGraphKey) {
		return v, nil
	}
	g, err := r.objectGraph()
	if err != nil {
		return v, err
	}
	named := map[string]bool{ObjectGraphKey: true}
	for i, nd := range g.Nodes {
		for _, a := range nd.Attributes {
			if !r.Has(a.CheckpointKey) {
				return v, errorf(IndexFile(r.prefix), a.CheckpointKey, -1, ErrFormat, "object graph node %d (%s) names a tensor the bundle does not have", i, a.FullName)
			}
			named[a.CheckpointKey] = true
		}
	}
	for _, e := range r.entries {
		if !named[e.Key] {
			return v, errorf(IndexFile(r.prefix), e.Key, -1, ErrFormat, "tensor belongs to no node of the object graph")
		}
	}
	return v, nil
}

// checkRaw verifies the CRC-32C of an entry's stored bytes without decoding them (TensorFlow
// checksums the bytes of every dtype it copies as memory, which is all but strings and
// variants).
func (r *Reader) checkRaw(e Entry) error {
	f, fsize, name, err := r.shard(e.Shard)
	if err != nil {
		return err
	}
	if e.Offset > fsize || e.Size > fsize-e.Offset {
		return errorf(name, e.Key, e.Offset, ErrFormat, "%d bytes run past the end of the %d-byte file", e.Size, fsize)
	}
	if e.DType == tensor.String {
		if e.Size > r.opts.MaxTensorBytes {
			return errorf(name, e.Key, e.Offset, ErrFormat, "%d bytes exceed the %d-byte limit", e.Size, r.opts.MaxTensorBytes)
		}
		_, err := readString(io.NewSectionReader(f, e.Offset, e.Size), e, name)
		return err
	}
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	if _, err := io.Copy(h, io.NewSectionReader(f, e.Offset, e.Size)); err != nil {
		return errorf(name, e.Key, e.Offset, ioErr(err), "read")
	}
	if got := h.Sum32(); got != e.CRC {
		return errorf(name, e.Key, e.Offset, ErrChecksum, "crc32c of %d bytes is %#08x, index says %#08x", e.Size, got, e.CRC)
	}
	return nil
}
