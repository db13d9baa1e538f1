package compat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestCheckpointDTypesPython: Go writes a bundle with every dtype (float16, bfloat16, int64,
// bool, complex, strings, scalars, empty tensors); TensorFlow reads every value back, and
// TensorFlow's own bundle writer, given the same tensors, writes the same bytes as Go.
func TestCheckpointDTypesPython(t *testing.T) {
	python(t)
	t.Run("one-shard", func(t *testing.T) { ckptDTypes(t, checkpoint.WriterOptions{}) })
	t.Run("sharded", func(t *testing.T) { ckptDTypes(t, checkpoint.WriterOptions{MaxShardBytes: 64}) })
	t.Run("parallel", func(t *testing.T) { ckptDTypes(t, checkpoint.WriterOptions{NumShards: 3}) })
}

// ckptDTypes runs TestCheckpointDTypesPython with Go's writer options: a new data shard every
// MaxShardBytes, or NumShards shards written in parallel (the zero options: one shard, which
// TensorFlow's writer must reproduce byte for byte).
func ckptDTypes(t *testing.T, opts checkpoint.WriterOptions) {
	dir := t.TempDir()
	goPrefix, pyPrefix := filepath.Join(dir, "go"), filepath.Join(dir, "py")
	ts := ckptAllDTypes()
	w, err := checkpoint.NewWriter(goPrefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(ts))
	for k := range ts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := w.Add(k, ts[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got struct {
		List    [][2]json.RawMessage `json:"list"`
		Tensors map[string]struct {
			DType  string            `json:"dtype"`
			Shape  []int             `json:"shape"`
			Values []json.RawMessage `json:"values"`
		} `json:"tensors"`
	}
	runPythonJSON(t, &got, "checkpoint_dtypes.py", goPrefix, pyPrefix)
	if len(got.Tensors) != len(ts) || len(got.List) != len(ts) {
		t.Fatalf("TensorFlow lists %d tensors, Go wrote %d", len(got.Tensors), len(ts))
	}
	for _, k := range keys {
		want := ts[k]
		g, ok := got.Tensors[k]
		if !ok {
			t.Errorf("TensorFlow does not see %q", k)
			continue
		}
		if g.DType != ckptTFName(want.DType) || !tensor.SameShape(g.Shape, want.Shape) {
			t.Errorf("%q: TensorFlow reads %s%v, Go wrote %v%v", k, g.DType, g.Shape, want.DType, want.Shape)
			continue
		}
		wv := ckptJSONValues(want)
		if len(wv) != len(g.Values) {
			t.Errorf("%q: %d values, want %d", k, len(g.Values), len(wv))
			continue
		}
		for i := range wv {
			if !ckptSameJSON(g.Values[i], wv[i]) {
				t.Errorf("%q[%d]: TensorFlow reads %s, Go wrote %s", k, i, g.Values[i], wv[i])
				break
			}
		}
	}
	if opts != (checkpoint.WriterOptions{}) {
		if files, _ := filepath.Glob(goPrefix + ".data-*"); len(files) < 3 {
			t.Errorf("%d data shards, want several", len(files))
		}
		return
	}
	for _, suf := range []string{".index", ".data-00000-of-00001"} {
		a, _ := os.ReadFile(pyPrefix + suf)
		b, _ := os.ReadFile(goPrefix + suf)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: TensorFlow's SaveV2 wrote %d bytes, Go %d, first difference at %d", suf, len(a), len(b), ckptFirstDiff(a, b))
		}
	}
}

// TestCheckpointKerasPython: for every generator variant, Go reads tf_keras' save_weights
// checkpoint, writes it again with SaveKerasWeights, and real tf_keras loads Go's checkpoint
// into the same architecture: every checkpoint value is consumed, predictions match tf_keras'
// within 1e-5, weights and optimizer slots are identical, tf.train.list_variables matches the
// tf_keras checkpoint, and one more training step reproduces tf_keras' step.
func TestCheckpointKerasPython(t *testing.T) {
	python(t)
	root := ckptFormatsDir(t)
	vdirs, _ := filepath.Glob(filepath.Join(root, "*"))
	var jobs []ckptJob
	for _, vdir := range vdirs {
		ref, err := checkpoint.Latest(filepath.Join(vdir, "tfkeras", "ckpt"))
		if err != nil {
			continue
		}
		m, err := checkpoint.LoadKerasWeights(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		prefix := filepath.Join(t.TempDir(), "weights")
		if err := checkpoint.SaveKerasWeights(prefix, m); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, ckptJob{Name: filepath.Base(vdir), Config: filepath.Join(vdir, "config_keras2.json"),
			Compile: filepath.Join(vdir, "meta.json"), State: vdir, Prefix: prefix, Ref: ref,
			X: filepath.Join(vdir, "x.npy"), Y: filepath.Join(vdir, "y.npy"), Next: filepath.Join(vdir, "next")})
		// The same checkpoint with its data in 3 files written in parallel.
		par := filepath.Join(t.TempDir(), "weights")
		if err := (checkpoint.KerasOptions{Writer: checkpoint.WriterOptions{NumShards: 3}}).Save(par, m); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(par + ".data-00002-of-00003"); err != nil {
			t.Fatal(err)
		}
		j := jobs[len(jobs)-1]
		j.Name, j.Prefix = j.Name+"-3-shards", par
		jobs = append(jobs, j)
		// The same checkpoint written by two workers (keys dealt alternately) and merged.
		merged := filepath.Join(t.TempDir(), "weights")
		ckptSplitMerge(t, prefix, merged, 2)
		j.Name, j.Prefix = j.Name+"-merged", merged
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		t.Fatal("no testdata/formats/*/tfkeras/ckpt fixtures (committed; run the generator)")
	}
	ckptRunJobs(t, jobs, true)
}

// TestCheckpointOptimizersPython: the optimizer states of testdata/train (Adam, AMSGrad, SGD,
// Nesterov, RMSprop, centered RMSprop) are written by Go from the expectations alone and
// loaded by tf_keras, which must find every slot with the expected value and in the order
// tf_keras creates them.
func TestCheckpointOptimizersPython(t *testing.T) {
	python(t)
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(), "testdata", "train", "*", "state"))
	if len(dirs) == 0 {
		t.Fatal("no testdata/train fixtures (committed; run the generator)")
	}
	var jobs []ckptJob
	for _, d := range dirs {
		c := filepath.Dir(d)
		if _, err := os.Stat(filepath.Join(d, "optimizer.json")); err != nil {
			continue
		}
		m := ckptLoadState(t, d)
		prefix := filepath.Join(t.TempDir(), "w")
		if err := checkpoint.SaveKerasWeights(prefix, m); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, ckptJob{Name: filepath.Base(c), Config: filepath.Join(c, "config_keras2.json"),
			Compile: filepath.Join(c, "compile.json"), State: d, Prefix: prefix})
	}
	ckptRunJobs(t, jobs, false)
}

// ckptSplitMerge reads every tensor of the bundle at src, deals the keys to n workers that
// write them with WriteShard, and merges their bundles at dst with MergeBundles.
func ckptSplitMerge(t *testing.T, src, dst string, n int) {
	t.Helper()
	r, err := checkpoint.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	parts := make([]map[string]*tensor.Tensor, n)
	for i := range parts {
		parts[i] = map[string]*tensor.Tensor{}
	}
	for i, k := range r.Keys() {
		v, err := r.Read(k)
		if err != nil {
			t.Fatal(err)
		}
		parts[i%n][k] = v
	}
	var wps []string
	for i, p := range parts {
		wp, err := checkpoint.WriteShard(dst, i, n, p)
		if err != nil {
			t.Fatal(err)
		}
		wps = append(wps, wp)
	}
	if err := checkpoint.MergeBundles(dst, wps); err != nil {
		t.Fatal(err)
	}
}

type ckptJob struct {
	Name    string `json:"name"`
	Config  string `json:"config"`
	Compile string `json:"compile"`
	State   string `json:"state"`
	Prefix  string `json:"prefix"`
	Ref     string `json:"ref,omitempty"`
	X       string `json:"x,omitempty"`
	Y       string `json:"y,omitempty"`
	Next    string `json:"next,omitempty"`
}

// ckptRunJobs runs checkpoint_keras.py once on every job and checks each result.
func ckptRunJobs(t *testing.T, jobs []ckptJob, full bool) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "jobs.json")
	b, _ := json.Marshal(jobs)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var res []ckptKerasResult
	runPythonJSON(t, &res, "checkpoint_keras.py", f)
	if len(res) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(res), len(jobs))
	}
	for i, j := range jobs {
		t.Run(j.Name, func(t *testing.T) { res[i].check(t, full) })
	}
}

type ckptKerasResult struct {
	Consumed           bool                 `json:"consumed"`
	WeightsMaxDiff     float64              `json:"weights_maxdiff"`
	Iterations         int64                `json:"iterations"`
	IterationsExpected int64                `json:"iterations_expected"`
	VariablesOrderOK   bool                 `json:"variables_order_ok"`
	Slots              int                  `json:"slots"`
	SlotsMaxDiff       float64              `json:"slots_maxdiff"`
	ListGo             [][2]json.RawMessage `json:"list_go"`
	ListRef            [][2]json.RawMessage `json:"list_ref"`
	DTypesGo           map[string]string    `json:"dtypes_go"`
	DTypesRef          map[string]string    `json:"dtypes_ref"`
	PredMaxDiff        *float64             `json:"pred_maxdiff"`
	NextLoss           float64              `json:"next_loss"`
	NextLossExpected   float64              `json:"next_loss_expected"`
	NextWeightsMaxDiff float64              `json:"next_weights_maxdiff"`
	NextSlotsMaxDiff   float64              `json:"next_slots_maxdiff"`
	IterationsAfter    int64                `json:"iterations_after_step"`
}

func (r *ckptKerasResult) check(t *testing.T, full bool) {
	t.Helper()
	if !r.Consumed || r.WeightsMaxDiff != 0 {
		t.Errorf("weights: consumed %v, max difference %g (want identical)", r.Consumed, r.WeightsMaxDiff)
	}
	if r.Iterations != r.IterationsExpected || r.Slots == 0 || r.SlotsMaxDiff != 0 || !r.VariablesOrderOK {
		t.Errorf("optimizer: iterations %d (want %d), %d slots, max difference %g, order ok %v",
			r.Iterations, r.IterationsExpected, r.Slots, r.SlotsMaxDiff, r.VariablesOrderOK)
	}
	if !full {
		return
	}
	if fmt.Sprint(r.ListGo) != fmt.Sprint(r.ListRef) || len(r.ListGo) == 0 {
		t.Errorf("tf.train.list_variables differs:\nGo:      %s\ntf_keras: %s", r.ListGo, r.ListRef)
	}
	if fmt.Sprint(r.DTypesGo) != fmt.Sprint(r.DTypesRef) {
		t.Errorf("dtypes differ:\nGo:      %v\ntf_keras: %v", r.DTypesGo, r.DTypesRef)
	}
	if r.PredMaxDiff == nil || *r.PredMaxDiff > 1e-5 {
		t.Errorf("predictions differ from tf_keras' by %v", r.PredMaxDiff)
	}
	// The state loaded from Go's checkpoint is identical to the one loaded from tf_keras's, and
	// tf_keras takes both steps in one process with deterministic kernels: the steps must be
	// bit-identical.
	if r.NextLoss != r.NextLossExpected || r.NextWeightsMaxDiff != 0 || r.NextSlotsMaxDiff != 0 || r.IterationsAfter != r.IterationsExpected+1 {
		t.Errorf("training step from Go's checkpoint: loss %v (from tf_keras's checkpoint %v), weights differ by %g, optimizer variables by %g, iterations %d",
			r.NextLoss, r.NextLossExpected, r.NextWeightsMaxDiff, r.NextSlotsMaxDiff, r.IterationsAfter)
	}
	t.Logf("list_variables: %d entries identical; prediction diff %g; %d slots identical; next step loss %v vs %v from tf_keras's checkpoint, weights diff %g, optimizer diff %g",
		len(r.ListGo), *r.PredMaxDiff, r.Slots, r.NextLoss, r.NextLossExpected, r.NextWeightsMaxDiff, r.NextSlotsMaxDiff)
}

func ckptFormatsDir(t *testing.T) string {
	d := os.Getenv("KERASGO_FORMATS")
	if d == "" {
		d = filepath.Join(repoRoot(), "testdata", "formats")
	}
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("generator fixtures not found at %s", d)
	}
	return d
}

// ckptLoadState builds a saved.Model with weights and tf_keras optimizer state from a
// generator directory (weights.json, optimizer.json), slots in Keras 3 order.
func ckptLoadState(t *testing.T, dir string) *saved.Model {
	t.Helper()
	var wj struct {
		Layers []struct {
			Name, Class string
			Weights     []struct {
				Name      string
				Trainable bool
				File      string
			}
		}
	}
	var oj struct {
		ClassName    string  `json:"class_name"`
		Iterations   int64   `json:"iterations"`
		LearningRate float64 `json:"learning_rate"`
		Slots        []struct{ Layer, Weight, Slot, File string }
	}
	for name, v := range map[string]any{"weights.json": &wj, "optimizer.json": &oj} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	read := func(f string) *tensor.Tensor {
		v, err := npy.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	m := &saved.Model{}
	for _, l := range wj.Layers {
		sl := saved.Layer{Name: l.Name, Class: l.Class}
		for _, w := range l.Weights {
			sl.Weights = append(sl.Weights, saved.Variable{Name: w.Name, Trainable: w.Trainable, Value: read(w.File)})
		}
		m.Layers = append(m.Layers, sl)
	}
	o := &saved.Optimizer{Class: oj.ClassName, Iterations: oj.Iterations, LearningRate: float32(oj.LearningRate)}
	kind := map[string]int{}
	for _, s := range oj.Slots {
		if _, ok := kind[s.Slot]; !ok {
			kind[s.Slot] = len(kind)
		}
	}
	pos := map[[2]string]int{}
	for i, v := range m.TrainableVariables() {
		pos[v] = i
	}
	slots := oj.Slots
	sort.SliceStable(slots, func(a, b int) bool {
		pa, pb := pos[[2]string{slots[a].Layer, slots[a].Weight}], pos[[2]string{slots[b].Layer, slots[b].Weight}]
		if pa != pb {
			return pa < pb
		}
		return kind[slots[a].Slot] < kind[slots[b].Slot]
	})
	for _, s := range slots {
		o.Slots = append(o.Slots, saved.Slot{Layer: s.Layer, Weight: s.Weight,
			Name: saved.Keras3SlotName(oj.ClassName, s.Slot), Value: read(s.File)})
	}
	m.Optimizer = o
	return m
}

func ckptAllDTypes() map[string]*tensor.Tensor {
	f32 := tensor.MustFromFloat32([]int{2, 3}, []float32{-1.5, 0, float32(math.Inf(1)), 3.25e-20, 1e30, -0})
	ts := map[string]*tensor.Tensor{
		"float32":        f32,
		"float32/scalar": tensor.Scalar(float32(0.1)),
		"float32/empty":  {DType: tensor.Float32, Shape: []int{0, 3}, Data: []float32{}},
		"float64":        {DType: tensor.Float64, Shape: []int{3}, Data: []float64{math.Pi, -1e-300, 7}},
		"int32":          {DType: tensor.Int32, Shape: []int{2, 2}, Data: []int32{-2147483648, 0, 1, 2147483647}},
		"int64":          tensor.Scalar(int64(-9007199254740993)),
		"uint8":          {DType: tensor.Uint8, Shape: []int{3}, Data: []uint8{0, 128, 255}},
		"int8":           {DType: tensor.Int8, Shape: []int{3}, Data: []int8{-128, 0, 127}},
		"int16":          {DType: tensor.Int16, Shape: []int{2}, Data: []int16{-32768, 32767}},
		"uint16":         {DType: tensor.Uint16, Shape: []int{2}, Data: []uint16{0, 65535}},
		"uint32":         {DType: tensor.Uint32, Shape: []int{2}, Data: []uint32{0, 4294967295}},
		"uint64":         {DType: tensor.Uint64, Shape: []int{1}, Data: []uint64{18446744073709551615}},
		// float16 bits: 1.0, -2.5, 65504 (max), smallest subnormal
		"float16": {DType: tensor.Float16, Shape: []int{4}, Data: []uint16{0x3c00, 0xc100, 0x7bff, 0x0001}},
		// bfloat16 bits: 1.0, -3.0, 1e38-ish
		"bfloat16":      {DType: tensor.BFloat16, Shape: []int{3}, Data: []uint16{0x3f80, 0xc040, 0x7e96}},
		"bool":          {DType: tensor.Bool, Shape: []int{2, 2}, Data: []bool{true, false, false, true}},
		"complex64":     {DType: tensor.Complex64, Shape: []int{2}, Data: []complex64{complex(1, -2), complex(0.5, 3)}},
		"complex128":    {DType: tensor.Complex128, Shape: []int{1}, Data: []complex128{complex(-1e100, 2)}},
		"string":        {DType: tensor.String, Shape: []int{4}, Data: [][]byte{[]byte("kernel"), {}, []byte("\x00\xff\n"), []byte(strings.Repeat("x", 300))}},
		"string/scalar": {DType: tensor.String, Shape: []int{}, Data: [][]byte{[]byte("one")}},
		"string/empty":  {DType: tensor.String, Shape: []int{0}, Data: [][]byte{}},
		"string/blank":  {DType: tensor.String, Shape: []int{}, Data: [][]byte{{}}},
		"layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE": f32,
	}
	return ts
}

// ckptTFName is TensorFlow's dtype name for d.
func ckptTFName(d tensor.DType) string {
	switch d {
	case tensor.Float16:
		return "float16"
	case tensor.String:
		return "string"
	}
	return d.String()
}

// ckptJSONValues flattens t as checkpoint_dtypes.py prints values.
func ckptJSONValues(t *tensor.Tensor) []string {
	var out []string
	add := func(v any) {
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	fl := func(f float64) {
		switch {
		case math.IsNaN(f):
			add("nan")
		case math.IsInf(f, 1):
			add("inf")
		case math.IsInf(f, -1):
			add("-inf")
		default:
			add(f)
		}
	}
	switch x := t.Data.(type) {
	case [][]byte:
		for _, b := range x {
			add(fmt.Sprintf("%x", b))
		}
	case []complex64:
		for _, c := range x {
			add([]float64{float64(real(c)), float64(imag(c))})
		}
	case []complex128:
		for _, c := range x {
			add([]float64{real(c), imag(c)})
		}
	case []bool:
		for _, b := range x {
			if b {
				add(1.0)
			} else {
				add(0.0)
			}
		}
	case []int64:
		for _, v := range x {
			add(v)
		}
	case []uint64:
		for _, v := range x {
			add(v)
		}
	case []float64:
		for _, v := range x {
			fl(v)
		}
	case []int32:
		for _, v := range x {
			fl(float64(v))
		}
	case []int8:
		for _, v := range x {
			fl(float64(v))
		}
	case []int16:
		for _, v := range x {
			fl(float64(v))
		}
	case []uint32:
		for _, v := range x {
			fl(float64(v))
		}
	case []uint8:
		for _, v := range x {
			fl(float64(v))
		}
	default: // float32, float16, bfloat16, uint16
		f, _ := t.ToFloat32()
		for _, v := range f.Float32s() {
			fl(float64(v))
		}
	}
	return out
}

// ckptSameJSON compares two JSON values numerically where they are numbers.
func ckptSameJSON(a json.RawMessage, b string) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func ckptFirstDiff(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
