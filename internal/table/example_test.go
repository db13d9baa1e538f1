package table_test

import (
	"bytes"
	"fmt"

	"github.com/kerasgo/kerasgo/internal/table"
)

func Example() {
	var buf bytes.Buffer
	w := table.NewWriter(&buf, nil)
	_ = w.Add([]byte(""), []byte("header"))
	_ = w.Add([]byte("a/bias"), []byte("1"))
	_ = w.Add([]byte("a/kernel"), []byte("2"))
	_ = w.Close()

	r, _ := table.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil)
	_ = r.Scan(func(k, v []byte) error {
		fmt.Printf("%q=%q\n", k, v)
		return nil
	})
	// Output:
	// ""="header"
	// "a/bias"="1"
	// "a/kernel"="2"
}
