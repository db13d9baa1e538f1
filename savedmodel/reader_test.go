package savedmodel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixturesDir(t testing.TB) string {
	d := os.Getenv("KERASGO_FIXTURES")
	if d == "" {
		d = filepath.Join("..", "..", "shared", "fixtures")
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("corpus fixtures not found at %s (set KERASGO_FIXTURES)", d)
	}
	return d
}

func dumpInfo(info *Info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tags=%v tf=%q objgraph=%v\n", info.Tags, info.TensorFlowVersion, info.ObjectGraph)
	if info.Keras != nil {
		fmt.Fprintf(&b, "keras %+v\n", *info.Keras)
	}
	for _, s := range info.Signatures {
		fmt.Fprintf(&b, "sig %s %s\n", s.Key, s.Method)
		for _, t := range s.Inputs {
			fmt.Fprintf(&b, "  in  %s %s %v %v\n", t.Key, t.Name, t.DType, t.Shape)
		}
		for _, t := range s.Outputs {
			fmt.Fprintf(&b, "  out %s %s %v %v\n", t.Key, t.Name, t.DType, t.Shape)
		}
	}
	for _, v := range info.Variables {
		fmt.Fprintf(&b, "var %s %q %v %v\n", v.Key, v.FullName, v.DType, v.Shape)
	}
	return b.String()
}
