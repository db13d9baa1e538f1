package layers

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

type corpusEntry struct {
	File      string         `json:"file"`
	ClassName string         `json:"class_name"`
	Config    map[string]any `json:"config"`
}

func readCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	b, err := os.ReadFile("testdata/corpus_layer_configs.json")
	if err != nil {
		t.Fatal(err)
	}
	var es []corpusEntry
	if err := json.Unmarshal(b, &es); err != nil {
		t.Fatal(err)
	}
	if len(es) < 100 {
		t.Fatalf("only %d corpus entries", len(es))
	}
	return es
}

// TestCorpusConfigs parses every layer config of the third-party corpus (Keras 1.1 to
// Keras 3.7). Only channels_first layers of classes without it may fail (ErrUnsupported naming
// data_format);
// the only warnings allowed are regularizers kept but not applied. What was parsed must
// match the file's own values, and the config kerasgo writes must parse back to itself.
func TestCorpusConfigs(t *testing.T) {
	for _, e := range readCorpus(t) {
		l, warns, err := FromConfig(e.ClassName, e.Config, saved.Keras2)
		class, _ := Canonical(e.ClassName)
		if e.Config["data_format"] == "channels_first" && !channelsFirstClasses[class] {
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "channels_first") {
				t.Errorf("%s %v: want ErrUnsupported naming channels_first, have %v", e.File, e.Config["name"], err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", e.File, e.ClassName, err)
			continue
		}
		for _, w := range warns {
			if !strings.Contains(w, "regularizer is kept") {
				t.Errorf("%s: unexpected warning %q", e.File, w)
			}
		}
		if l.Name() != e.Config["name"] {
			t.Errorf("%s: name %q, config %v", e.File, l.Name(), e.Config["name"])
		}
		// Values of the old Keras 1 keys reach the layer.
		num := func(k string) int { v, _ := e.Config[k].(float64); return int(v) }
		switch x := l.(type) {
		case *Conv2D:
			if _, ok := e.Config["nb_filter"]; ok {
				if x.Filters() != num("nb_filter") || x.KernelSize() != [2]int{num("nb_row"), num("nb_col")} ||
					x.Padding() != e.Config["border_mode"] || x.Activation() != e.Config["activation"] {
					t.Errorf("%s: Keras 1 Convolution2D parsed as %d %v %s %s", e.File, x.Filters(), x.KernelSize(), x.Padding(), x.Activation())
				}
			}
		case *Dense:
			if _, ok := e.Config["output_dim"]; ok && x.Units() != num("output_dim") {
				t.Errorf("%s: Keras 1 Dense units %d, output_dim %v", e.File, x.Units(), e.Config["output_dim"])
			}
		case *Dropout:
			if p, ok := e.Config["p"]; ok && x.Rate() != p {
				t.Errorf("%s: Keras 1 Dropout rate %v, p %v", e.File, x.Rate(), p)
			}
		}
		if s, ok := e.Config["batch_input_shape"].([]any); ok {
			ds := DeclaredInputShape(l)
			if len(ds) != len(s) {
				t.Errorf("%s: declared input shape %v, config %v", e.File, ds, s)
			}
		}
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			c1 := canon(t, l.Config(d))
			l2, w2, err := FromConfig(l.Class(), c1.(map[string]any), d)
			if err != nil {
				t.Errorf("%s %s: re-parse own %v config: %v", e.File, l.Name(), d, err)
				continue
			}
			for _, w := range w2 {
				if !strings.Contains(w, "regularizer is kept") {
					t.Errorf("%s: own config warns %q", e.File, w)
				}
			}
			if c2 := canon(t, l2.Config(d)); !reflect.DeepEqual(c1, c2) {
				t.Errorf("%s %s: config not stable through a round trip:\n%s", e.File, l.Name(), jsonDiff(c2, c1))
			}
		}
	}
}

func TestFromConfigErrors(t *testing.T) {
	conv := func(kv ...any) map[string]any {
		c := map[string]any{"name": "c", "filters": 2.0, "kernel_size": []any{3.0, 3.0}}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	cases := []struct {
		class    string
		cfg      map[string]any
		sentinel error
		mention  string
	}{
		{"Conv2D", conv("dim_ordering", "th"), ErrUnsupported, "dim_ordering"},
		{"Conv2D", conv("dilation_rate", []any{2.0, 2.0}, "strides", []any{1.0, 2.0}), ErrFormat, "strides above 1 cannot be combined with dilation above 1"},
		{"Conv2D", conv("dilation_rate", []any{0.0, 2.0}), ErrFormat, "dilation_rate"},
		{"Conv2D", conv("groups", 0.0), ErrFormat, "groups"},
		{"Conv2D", conv("groups", 4.0, "filters", 6.0), ErrFormat, "filters 6 is not a multiple of groups 4"},
		{"Conv2D", conv("padding", "causal"), ErrUnsupported, "causal"},
		{"Conv2D", conv("activation", "hard_swishy"), ErrUnsupported, "hard_swishy"},
		{"Conv2D", conv("dtype", "float64"), ErrUnsupported, "float64"},
		{"Conv2D", conv("dtype", map[string]any{"class_name": "DTypePolicy", "config": map[string]any{"name": "mixed_float64"}}), ErrUnsupported, "mixed_float64"},
		{"Conv2D", conv("input_dtype", "mixed_float16"), ErrUnsupported, "mixed_float16"},
		{"Conv2D", conv("filters", "many"), ErrFormat, "filters"},
		{"Conv2D", conv("filters", -1.0), ErrFormat, "filters"},
		{"Conv2D", conv("kernel_size", []any{3.0}), ErrFormat, "kernel_size"},
		{"Conv2D", map[string]any{"name": "c", "kernel_size": 3.0}, ErrFormat, "filters"},
		{"Dense", map[string]any{"name": "d"}, ErrFormat, "units"},
		{"Dense", map[string]any{"units": 1e30}, ErrFormat, "units"},
		{"Dense", map[string]any{"units": 3.0, "quantization_config": map[string]any{}}, ErrUnsupported, "quantization_config"},
		{"Dropout", map[string]any{"rate": 1.0}, ErrUnsupported, "rate"},
		{"Dropout", map[string]any{"rate": 0.5, "noise_shape": "x"}, ErrFormat, "noise_shape"},
		{"BatchNormalization", map[string]any{"renorm": true}, ErrUnsupported, "renorm"},
		{"BatchNormalization", map[string]any{"axis": []any{1.0, 2.0}}, ErrUnsupported, "axis"},
		{"BatchNormalization", map[string]any{"momentum": "fast"}, ErrFormat, "momentum"},
		{"MaxPooling2D", map[string]any{"pool_size": []any{0.0, 2.0}}, ErrFormat, "pool_size"},
		{"MaxPooling2D", map[string]any{"dim_ordering": "th"}, ErrUnsupported, "dim_ordering"},
		{"Activation", map[string]any{"activation": "threshold"}, ErrUnsupported, "threshold(x, threshold, default_value) has no defaults"},
		{"Dense", map[string]any{"units": 2.0, "activation": "glu"}, ErrUnsupported, "glu halves the last axis"},
	}
	for _, c := range cases {
		_, _, err := FromConfig(c.class, c.cfg, saved.Keras2)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.mention) || !strings.HasPrefix(err.Error(), "layers: ") {
			t.Errorf("%s %v: error %v, want %v mentioning %q", c.class, c.cfg, err, c.sentinel, c.mention)
		}
	}

	_, _, err := FromConfig("ConvLSTM3D", map[string]any{}, saved.Keras2)
	var uc *UnknownClassError
	if !errors.As(err, &uc) || uc.Class != "ConvLSTM3D" || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "ConvLSTM3D") {
		t.Errorf("unknown class: %v", err)
	}

	// Unknown keys are reported, not dropped silently.
	_, warns, err := FromConfig("Dense", map[string]any{"units": 2.0, "fancy": true, "zeta": 1.0}, saved.Keras2)
	if err != nil || len(warns) != 2 || !strings.Contains(warns[0], `"fancy"`) || !strings.Contains(warns[1], `"zeta"`) {
		t.Errorf("unknown keys: warnings %q, err %v", warns, err)
	}

	// BatchNormalization over the batch axis fails at Build, naming the axis; over axis 1
	// it builds with 4 channels.
	l, _, err := FromConfig("BatchNormalization", map[string]any{"axis": 0.0}, saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build([]int{4, 4, 3}, nil); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "axis") {
		t.Errorf("BN axis 0: %v", err)
	}
	l, _, _ = FromConfig("BatchNormalization", map[string]any{"axis": 1.0}, saved.Keras2)
	if err := l.Build([]int{4, 5, 3}, nil); err != nil || l.Weights()[0].Value.Shape[0] != 4 {
		t.Errorf("BN axis 1: %v", err)
	}
	if _, _, err := FromConfig("BatchNormalization", map[string]any{"axis": []any{1.0, 2.0}}, saved.Keras2); !errors.Is(err, ErrUnsupported) {
		t.Errorf("BN axis [1, 2]: %v", err)
	}
	// ... and over the last axis given as a positive index, it builds.
	l, _, _ = FromConfig("BatchNormalization", map[string]any{"axis": []any{3.0}}, saved.Keras2)
	if err := l.Build([]int{4, 4, 3}, nil); err != nil {
		t.Errorf("BN axis [3]: %v", err)
	}
}

// TestDeclaredInputShape covers every key a config may declare the input with.
func TestDeclaredInputShape(t *testing.T) {
	for _, c := range []struct {
		cfg  map[string]any
		want []int
	}{
		{map[string]any{"units": 1.0, "batch_input_shape": []any{nil, 5.0}}, []int{-1, 5}},
		{map[string]any{"units": 1.0, "batch_shape": []any{4.0, 5.0}}, []int{4, 5}},
		{map[string]any{"units": 1.0, "input_shape": []any{5.0}}, []int{-1, 5}},
		{map[string]any{"units": 1.0, "input_dim": 7.0}, []int{-1, 7}},
		{map[string]any{"units": 1.0, "input_dim": nil}, nil},
	} {
		l, w, err := FromConfig("Dense", c.cfg, saved.Keras2)
		if err != nil || len(w) != 0 {
			t.Fatalf("%v: %v %q", c.cfg, err, w)
		}
		if got := DeclaredInputShape(l); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: declared %v, want %v", c.cfg, got, c.want)
		}
	}
	if got := DeclaredInputShape(NewConv2D(1, [2]int{1, 1}, Conv2DOptions{InputShape: []int{32, 32, 3}})); !reflect.DeepEqual(got, []int{-1, 32, 32, 3}) {
		t.Errorf("option InputShape: %v", got)
	}
}

func TestDefaultBaseName(t *testing.T) {
	for class, want := range map[string]string{
		"Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d", "BatchNormalization": "batch_normalization",
		"Dense": "dense", "Flatten": "flatten", "Dropout": "dropout", "Activation": "activation",
		"Convolution2D": "conv2d", "MaxPool2D": "max_pooling2d",
	} {
		if got := DefaultBaseName(class); got != want {
			t.Errorf("DefaultBaseName(%q) = %q, want %q", class, got, want)
		}
	}
}

// TestConstructorsMatchConfigs checks that the Go constructors with zero options produce the
// same configs as the fixture layers parsed from real Keras (the seed model).
func TestConstructorsMatchConfigs(t *testing.T) {
	stack := []Layer{
		NewConv2D(16, [2]int{3, 3}, Conv2DOptions{Activation: "relu", Name: "conv_1"}),
		NewMaxPooling2D([2]int{4, 4}, MaxPoolingOptions{Name: "pool_1"}),
		NewBatchNormalization(BatchNormOptions{Name: "batch_normalization"}),
		NewFlatten(FlattenOptions{Name: "flatten"}),
		NewDense(32, DenseOptions{Activation: "relu", Name: "dense_1"}),
		NewDropout(0.5, DropoutOptions{Name: "dropout"}),
		NewDense(10, DenseOptions{Activation: "softmax", Name: "dense_2"}),
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		fl, _ := readFixtureConfig(t, fixtureRoot+"/seed/config_"+d.String()+".json")
		shape := []int{32, 32, 3}
		for i, l := range stack {
			if err := l.Build(shape, NewRand(1)); err != nil {
				t.Fatal(err)
			}
			shape, _ = l.OutputShape(shape)
			got := l.Config(d)
			if i == 0 && d == saved.Keras2 {
				got["batch_input_shape"] = fl[0].cfg["batch_input_shape"]
			}
			if g, w := canon(t, got), canon(t, fl[i].cfg); !reflect.DeepEqual(g, w) {
				t.Errorf("%v %s:\n%s", d, l.Name(), jsonDiff(g, w))
			}
		}
	}
}

// TestDialectAndTrainable: a Keras 3 config selects Keras 3's moving-variance rule; a
// non-trainable layer reports non-trainable weights, writes trainable false, and leaves
// their gradients alone.
func TestDialectAndTrainable(t *testing.T) {
	for d, want := range map[saved.Dialect]VarianceRule{saved.Keras2: TFKerasVariance, saved.Keras3: Keras3Variance} {
		l, _, err := FromConfig("BatchNormalization", map[string]any{}, d)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.(*BatchNormalization).VarianceRule(); got != want {
			t.Errorf("%v: variance rule %v, want %v", d, got, want)
		}
	}
	l, _, err := FromConfig("Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "trainable": false}, saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build([]int{5, 5, 1}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	for _, w := range l.Weights() {
		if w.Trainable {
			t.Errorf("%s trainable in a non-trainable layer", w.Name)
		}
	}
	if l.Config(saved.Keras2)["trainable"] != false {
		t.Error("config does not say trainable false")
	}
	x := randTensor(NewRand(2), []int{2, 5, 5, 1}, -1, 1)
	y, _ := l.Forward(x, true)
	if _, err := l.Backward(randTensor(NewRand(3), y.Shape, -1, 1)); err != nil {
		t.Fatal(err)
	}
	for _, w := range l.Weights() {
		if w.Grad != nil {
			t.Errorf("%s of a non-trainable layer got a gradient", w.Name)
		}
	}
	l.(TrainableFlag).SetTrainable(true)
	for _, w := range l.Weights() {
		if !w.Trainable {
			t.Errorf("%s still non-trainable after SetTrainable(true)", w.Name)
		}
	}
}

// TestConfigCrossDialect: a layer writes each dialect as Keras does whichever dialect it was
// read from: BatchNormalization's axis ([3] for tf_keras, -1 for Keras 3) and the
// VarianceScaling family's input_axes/output_axes (Keras 3 only).
func TestConfigCrossDialect(t *testing.T) {
	glorot2 := map[string]any{"class_name": "GlorotUniform", "config": map[string]any{"seed": nil}}
	glorot3 := map[string]any{"module": "keras.initializers", "class_name": "GlorotUniform",
		"config": map[string]any{"seed": nil, "input_axes": nil, "output_axes": nil}, "registered_name": nil}
	axesOf := func(t *testing.T, c map[string]any) (bool, bool) {
		ic := c["kernel_initializer"].(map[string]any)["config"].(map[string]any)
		_, in := ic["input_axes"]
		_, out := ic["output_axes"]
		return in, out
	}
	for _, tc := range []struct {
		from saved.Dialect
		init map[string]any
	}{{saved.Keras2, glorot2}, {saved.Keras3, glorot3}} {
		l, _, err := FromConfig("Dense", map[string]any{"name": "d", "units": 3.0, "kernel_initializer": tc.init}, tc.from)
		if err != nil {
			t.Fatal(err)
		}
		if in, out := axesOf(t, l.Config(saved.Keras2)); in || out {
			t.Errorf("from %v: Keras2 initializer has input_axes %v output_axes %v", tc.from, in, out)
		}
		if in, out := axesOf(t, l.Config(saved.Keras3)); !in || !out {
			t.Errorf("from %v: Keras3 initializer lacks input_axes %v / output_axes %v", tc.from, in, out)
		}
	}
	for _, axis := range []any{[]any{3.0}, -1.0, 3.0, nil} {
		cfg := map[string]any{"name": "bn"}
		if axis != nil {
			cfg["axis"] = axis
		}
		for _, from := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			if _, isList := axis.([]any); isList && from == saved.Keras3 {
				continue
			}
			l, _, err := FromConfig("BatchNormalization", cfg, from)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Build([]int{5, 5, 4}, NewRand(1)); err != nil {
				t.Fatal(err)
			}
			if got := jsonValue(l.Config(saved.Keras2)["axis"]); got != "[3]" {
				t.Errorf("axis %v from %v: Keras2 axis %s, want [3]", axis, from, got)
			}
			if got := jsonValue(l.Config(saved.Keras3)["axis"]); got != "-1" {
				t.Errorf("axis %v from %v: Keras3 axis %s, want -1", axis, from, got)
			}
		}
	}
}
