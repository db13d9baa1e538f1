package savedmodel

import (
	"errors"
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

func TestInspectCorpusDebug(t *testing.T) {
	fx := fixturesDir(t)
	for _, d := range []string{
		"tf-serving/saved_model_half_plus_two_cpu/00000123",
		"tf-serving/saved_model_half_plus_two_tf2_cpu/00000123",
		"tf-serving/saved_model_counter/00000123",
		"tf-serving/saved_model_half_plus_three/00000123",
		"tf2onnx/regression/saved_model",
		"tf-rust/keras_single_input_saved_model",
		"tfnet/simple_model_from_auto_compile",
	} {
		info, err := Inspect(filepath.Join(fx, d))
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		t.Logf("%s\n%s", d, dumpInfo(info))
		m, err := Load(filepath.Join(fx, d))
		if err != nil {
			t.Logf("load %s: %v (unsupported=%v)", d, err, errors.Is(err, ErrUnsupported))
			continue
		}
		for _, l := range m.Layers {
			t.Logf("  layer %s %s %d weights", l.Name, l.Class, len(l.Weights))
		}
		if m.Optimizer != nil {
			t.Logf("  optimizer %s it=%d slots=%d cfg=%s", m.Optimizer.Class, m.Optimizer.Iterations, len(m.Optimizer.Slots), m.Optimizer.Config)
		}
	}
}
