package checkpoint

// ParseState parses the text of a `checkpoint` state file read from elsewhere than the local
// file system (object storage); name labels errors.
func ParseState(name string, b []byte) (*State, error) {
	if len(b) > maxStateBytes {
		return nil, errorf(name, "", -1, ErrFormat, "state file larger than %d bytes", maxStateBytes)
	}
	s, err := parseState(string(b))
	if err != nil {
		return nil, errorf(name, "", -1, ErrFormat, "%v", err)
	}
	return s, nil
}
