package layers

import (
	"errors"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

func TestParseRegularizerForms(t *testing.T) {
	for _, c := range []struct {
		v      any
		l1, l2 float32
	}{
		{"l1", 0.01, 0},
		{"l2", 0, 0.01},
		{"l1_l2", 0.01, 0.01},
		{map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.5}}, 0, 0.5},
		{map[string]any{"class_name": "L1", "config": map[string]any{"l": 0.25}}, 0.25, 0},
		{map[string]any{"class_name": "L1L2", "config": map[string]any{"l1": 0.0, "l2": 0.125}}, 0, 0.125},
		{map[string]any{"class_name": "L1L2", "config": map[string]any{}}, 0, 0},
		{map[string]any{"module": "keras.regularizers", "class_name": "L1L2", "config": map[string]any{"l1": 0.5, "l2": 0.25}, "registered_name": nil}, 0.5, 0.25},
		{map[string]any{"name": "WeightRegularizer", "l1": 0.0, "l2": 0.001}, 0, 0.001},
	} {
		l1, l2, err := parseRegularizer(c.v)
		if err != nil || l1 != c.l1 || l2 != c.l2 {
			t.Errorf("%v: l1 %v l2 %v err %v; want %v %v", c.v, l1, l2, err, c.l1, c.l2)
		}
	}
	for _, v := range []any{
		map[string]any{"class_name": "OrthogonalRegularizer", "config": map[string]any{"factor": 0.01, "mode": "rows"}},
		map[string]any{"class_name": "MyReg", "config": map[string]any{}, "registered_name": "custom>MyReg"},
		map[string]any{"class_name": "L2", "config": map[string]any{"l2": "big"}},
		"orthogonal_regularizer",
		3.0,
	} {
		if _, _, err := parseRegularizer(v); err == nil {
			t.Errorf("%v: parsed, want an error", v)
		}
	}
}

func TestParseConstraintForms(t *testing.T) {
	c, err := parseConstraint(map[string]any{"class_name": "MaxNorm", "config": map[string]any{"max_value": 3.0, "axis": []any{0.0, 1.0, 2.0}}})
	if err != nil || c.con != conMaxNorm || c.maxV != 3 || len(c.axes) != 3 {
		t.Errorf("MaxNorm: %+v %v", c, err)
	}
	c, err = parseConstraint("max_norm")
	if err != nil || c.maxV != 2 || len(c.axes) != 1 || c.axes[0] != 0 {
		t.Errorf("max_norm: %+v %v", c, err)
	}
	c, err = parseConstraint(map[string]any{"class_name": "MinMaxNorm", "config": map[string]any{"axis": -1.0}})
	if err != nil || c.con != conMinMaxNorm || c.minV != 0 || c.maxV != 1 || c.rate != 1 || c.axes[0] != -1 {
		t.Errorf("MinMaxNorm: %+v %v", c, err)
	}
	for _, v := range []any{"radial_constraint", map[string]any{"class_name": "MaxNorm", "config": map[string]any{"axis": "x"}}} {
		if _, err := parseConstraint(v); err == nil {
			t.Errorf("%v: parsed, want an error", v)
		}
	}
}

func denseFrom(t *testing.T, extra map[string]any) (Layer, []string) {
	t.Helper()
	cfg := map[string]any{"name": "d", "units": 3.0}
	for k, v := range extra {
		cfg[k] = v
	}
	l, warns, err := FromConfig("Dense", cfg, saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build([]int{4}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	return l, warns
}

// TestWeightRulesOfConfig: applied objects give rules without the "not applied" warning;
// an activity regularizer or an unknown object warns and refuses training, naming the layer
// and the key.
func TestWeightRulesOfConfig(t *testing.T) {
	l2 := map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.5}}
	l, warns := denseFrom(t, map[string]any{"kernel_regularizer": l2, "bias_constraint": "non_neg"})
	if len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}
	rs, err := WeightRules(l)
	if err != nil || len(rs) != 2 || rs[0].W.Name != "bias" || !rs[0].HasConstraint() || rs[1].W.Name != "kernel" || rs[1].L2 != 0.5 {
		t.Fatalf("rules %+v, %v", rs, err)
	}
	for key, v := range map[string]any{
		"activity_regularizer": l2,
		"kernel_regularizer":   map[string]any{"class_name": "OrthogonalRegularizer", "config": map[string]any{}},
		"kernel_constraint":    map[string]any{"class_name": "RadialConstraint", "config": map[string]any{}},
	} {
		l, warns := denseFrom(t, map[string]any{key: v})
		if len(warns) != 1 || !strings.Contains(warns[0], key+" is kept in the config but not applied") {
			t.Errorf("%s: warnings %q", key, warns)
		}
		_, err := WeightRules(l)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"d"`) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v", key, err)
		}
	}
	// use_bias=False: Keras ignores bias_regularizer (no bias variable).
	l, _ = denseFrom(t, map[string]any{"use_bias": false, "bias_regularizer": l2})
	if rs, err := WeightRules(l); err != nil || len(rs) != 0 {
		t.Errorf("use_bias=False: %+v %v", rs, err)
	}
}

// TestWeightRulesNoAllocs: a training step's penalty, gradient and projection allocate
// nothing (the norm buffer is made by the first projection).
func TestWeightRulesNoAllocs(t *testing.T) {
	l, _ := denseFrom(t, map[string]any{
		"kernel_regularizer": map[string]any{"class_name": "L1L2", "config": map[string]any{"l1": 0.1, "l2": 0.1}},
		"kernel_constraint":  map[string]any{"class_name": "MaxNorm", "config": map[string]any{"max_value": 0.1, "axis": 0.0}},
	})
	rs, err := WeightRules(l)
	if err != nil || len(rs) != 1 {
		t.Fatal(rs, err)
	}
	r := &rs[0]
	g := make([]float32, r.W.Value.Len())
	r.Constrain()
	if n := testing.AllocsPerRun(10, func() { _ = r.Penalty(); r.AddGradient(g); r.Constrain() }); n != 0 {
		t.Errorf("%v allocations per step", n)
	}
}
