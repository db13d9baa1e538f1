package main

import (
	"bufio"
	"bytes"
	"io"

	"github.com/kerasgo/kerasgo/internal/regfile"
	"github.com/kerasgo/kerasgo/model"
)

// readIfJSON returns the content of path when it is a regular file whose first non-blank byte
// (within the first KiB) is "{" (a Keras JSON config), reading at most one byte over model.MaxConfigBytes (FromJSON
// refuses what is over); nil otherwise, for the caller to read path as a model file. A named
// pipe or a device is never read here: model.Load refuses it.
func readIfJSON(path string) ([]byte, error) {
	f, _, err := regfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for i := 0; ; i++ {
		c, err := br.ReadByte()
		if err != nil {
			return nil, nil
		}
		if c == '{' {
			br.UnreadByte()
			break
		}
		if i >= 1024 || !bytes.ContainsRune([]byte(" \t\r\n"), rune(c)) {
			return nil, nil
		}
	}
	return io.ReadAll(io.LimitReader(br, model.MaxConfigBytes+1))
}
