package checkpoint

// Copy writes the bundle at src again at dst with the writer options opts (at most one: to
// split the data into files of MaxShardBytes, or into NumShards files written in parallel),
// tensor by tensor in key order: with one data file being written at a time, one tensor is
// in memory at once, plus the writer's 1 MiB buffer, whatever the size of the bundle (with
// NumShards n, up to 2n+1 tensors). Every tensor's checksum is verified as it is read. The
// bundle at dst is saved as any bundle is (see "Saving" in the package documentation); the
// folder's state file is not touched. Partitioned variables (slice entries) are refused.
func Copy(dst, src string, opts ...WriterOptions) error {
	r, err := Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	if len(r.slices) > 0 {
		return &Error{File: IndexFile(src), Key: r.slices[0].Key, Offset: -1, Reason: "partitioned variables are not copied", Err: ErrUnsupported}
	}
	w, err := NewWriter(dst, opts...)
	if err != nil {
		return err
	}
	for _, k := range r.Keys() {
		t, err := r.Read(k)
		if err != nil {
			w.Abort()
			return err
		}
		if err := w.Add(k, t); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}
