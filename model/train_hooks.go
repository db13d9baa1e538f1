package model

import (
	"encoding/json"
	"fmt"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/losses"
	"github.com/kerasgo/kerasgo/metrics"
	"github.com/kerasgo/kerasgo/optimizers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file is owned by the training work (compile/fit/optimizers). The core model code calls
// these hooks so that saving and loading carry the compile and optimizer state.

// trainState is the compiled state of a model (optimizer, loss, metrics, optimizer state).
// Nil when not compiled.
type trainState struct {
	opt     Optimizer
	loss    *losses.Loss
	metrics []metrics.Metric // nil means Keras's metrics=None
	// Per-output declarations (train_multi.go); loss is used when losses.form is formOne.
	losses     perOutput[*losses.Loss]
	weights    perOutput[float64]
	outMetrics perOutput[[]metrics.Metric]
	// outs binds them to the model's outputs (nil until bound).
	outs []outSpec
	// resolved is set once a training step fixed the functions of "accuracy" metrics (Keras
	// builds its compiled metrics then; a save before that records "categorical_accuracy").
	resolved bool

	iterations int64
	vars       []trainVar // nil until the optimizer is built
	slotNames  []string
	// slotsKeras2 selects tf_keras's slot set internally (a superset of Keras 3's).
	slotsKeras2 bool
	// pending holds slots restored from a file before the model was built.
	pending []saved.Slot

	stop bool
	// gradBufs hold clipped gradients (see optimizers.ClipGradients).
	gradBufs [][]float32
	// reg holds the weight regularizers and constraints of the model's layers (regularize.go).
	reg regState

	// Configs read from a file, written back verbatim when saving in the same dialect.
	raw *rawTraining
}

type rawTraining struct {
	dialect  saved.Dialect
	optClass string // class_name as read ("Custom>Adam")
	optCfg   any    // the optimizer's config object as read
	loss     any
	metrics  any
	weights  any
	hasLoss  bool
}

// trainingToSaved returns the training config JSON and optimizer state in dialect d, or nils
// when the model is not compiled.
func (m *Model) trainingToSaved(d saved.Dialect) (json.RawMessage, *saved.Optimizer, error) {
	t := m.train
	if t == nil {
		return nil, nil, nil
	}
	optCfg := any(t.opt.Config(d))
	if t.raw != nil && t.raw.dialect == d && optimizers.ConfigFits(t.raw.optCfg, d) {
		optCfg = t.raw.optCfg
	}
	lossJSON := t.lossConfig(d)
	weightsJSON := t.weightsConfig()
	if t.raw != nil && t.raw.dialect == d && t.raw.hasLoss {
		lossJSON, weightsJSON = t.raw.loss, t.raw.weights
	}
	var tc pyfmt.Object
	if d == saved.Keras3 {
		tc = pyfmt.Object{
			{"optimizer", pyfmt.Object{
				{"module", "keras.optimizers"},
				{"class_name", t.opt.ClassName()},
				{"config", optCfg},
				{"registered_name", nil},
			}},
			{"loss", lossJSON},
			{"loss_weights", weightsJSON},
			{"metrics", t.metricsConfig(d)},
			{"weighted_metrics", nil},
			{"run_eagerly", false},
			{"steps_per_execution", 1},
			{"jit_compile", false},
		}
	} else {
		tc = pyfmt.Object{
			{"loss", lossJSON},
			{"metrics", t.metricsConfig(d)},
			{"weighted_metrics", nil},
			{"loss_weights", weightsJSON},
			{"optimizer_config", pyfmt.Object{
				{"class_name", "Custom>" + t.opt.ClassName()},
				{"config", optCfg},
			}},
		}
	}
	so := &saved.Optimizer{
		Class:        t.opt.ClassName(),
		Config:       json.RawMessage(pyfmt.JSON(optCfg)),
		Iterations:   t.iterations,
		LearningRate: t.opt.LearningRate(),
	}
	if t.vars != nil {
		keep := t.opt.Slots(d == saved.Keras2)
		for _, v := range t.vars {
			for j, name := range t.slotNames {
				if !containsStr(keep, name) {
					continue
				}
				so.Slots = append(so.Slots, saved.Slot{
					Layer: v.layer, Weight: v.w.Name, Name: name,
					Value: tensor.MustFromFloat32(v.w.Value.Shape, append([]float32(nil), v.slots[j]...)),
				})
			}
		}
	} else if len(t.pending) > 0 {
		so.Slots = append(so.Slots, t.pending...)
	}
	m.slots16(so, d)
	return json.RawMessage(pyfmt.JSON(tc)), so, nil
}

// metricsConfig writes the metrics as Keras does in dialect d: Keras 3 keeps the user's list
// of names; tf_keras writes the compiled MeanMetricWrapper objects, one list per output.
func (t *trainState) metricsConfig(d saved.Dialect) any {
	if t.raw != nil && t.raw.dialect == d && !t.resolved {
		return t.raw.metrics
	}
	if t.outMetrics.form != formOne || len(t.outs) > 1 {
		return t.outMetricsConfig(d)
	}
	if t.metrics == nil {
		return nil
	}
	names := make([]any, 0, len(t.metrics))
	objs := make([]any, 0, len(t.metrics))
	for _, s := range t.metrics {
		names = append(names, s.Name)
		fn := s.Fn
		if s.Auto && !t.resolved {
			fn = "categorical_accuracy"
		}
		objs = append(objs, pyfmt.Object{
			{"class_name", "MeanMetricWrapper"},
			{"config", pyfmt.Object{{"name", s.Name}, {"dtype", "float32"}, {"fn", fn}}},
		})
	}
	if d == saved.Keras3 {
		return names
	}
	return []any{objs}
}

// trainingFromSaved compiles m from sm.TrainingConfig and restores sm.Optimizer, when present.
// A training config kerasgo cannot train with (another optimizer, a custom loss) leaves the
// model uncompiled and adds a line to Warnings; malformed JSON is an ErrFormat error.
func (m *Model) trainingFromSaved(sm *saved.Model) error {
	if sm == nil || len(sm.TrainingConfig) == 0 || string(sm.TrainingConfig) == "null" {
		return nil
	}
	v, err := pyfmt.Decode(sm.TrainingConfig)
	if err != nil {
		return fmt.Errorf("%w: training config: %v", ErrFormat, err)
	}
	tc, ok := pyfmt.Obj(v)
	if !ok {
		return fmt.Errorf("%w: training config is not a JSON object", ErrFormat)
	}
	t, err := parseTrainingConfig(tc, sm.Dialect)
	if err != nil {
		m.warnings = append(m.warnings, fmt.Sprintf("training config: %v; the model is loaded uncompiled", err))
		m.train = nil
		return nil
	}
	m.train = t
	if m.fn != nil || m.Built() {
		if _, err := m.boundOutputs(); err != nil {
			m.warnings = append(m.warnings, fmt.Sprintf("training config: %v; the model is loaded uncompiled", err))
			m.train = nil
			return nil
		}
	}
	if sm.Dialect == saved.Keras3 && m.Built() {
		// Keras 3's compile_from_config builds the optimizer's variables for a built model.
		m.buildOptimizer()
	}
	if o := sm.Optimizer; o != nil && o.Variables != nil && sm.Dialect == saved.Keras3 && m.Built() {
		// A Keras 3 file: its optimizer variables go by position, as Keras 3 loads them.
		r, err := m.planKeras3Restore(optimizerLabel(o), o.Variables)
		if err != nil {
			return err
		}
		m.applyOptimizerRestore(r)
	} else if o != nil {
		t.iterations = o.Iterations
		if o.LearningRate != 0 {
			t.opt.SetLearningRate(o.LearningRate)
		}
		if len(o.Slots) > 0 {
			t.pending = append([]saved.Slot(nil), o.Slots...)
			if m.Built() {
				if err := m.restoreSlots(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// restoreSlots builds the optimizer and copies the pending slot values into it.
func (m *Model) restoreSlots() error {
	t := m.train
	if len(t.pending) == 0 {
		return nil
	}
	m.buildOptimizer()
	for _, s := range t.pending {
		found := false
		for i := range t.vars {
			v := &t.vars[i]
			if v.layer != s.Layer || v.w.Name != s.Weight {
				continue
			}
			for j, name := range t.slotNames {
				if name != s.Name {
					continue
				}
				if s.Value == nil || !tensorShapeEq(s.Value.Shape, v.w.Value.Shape) {
					var got []int
					if s.Value != nil {
						got = s.Value.Shape
					}
					return fmt.Errorf("%w: optimizer slot %s of %s/%s: shape %s, the variable is %s", ErrShape, s.Name, s.Layer, s.Weight, kerasShape(got), kerasShape(v.w.Value.Shape))
				}
				f, err := s.Value.ToFloat32()
				if err != nil {
					return fmt.Errorf("%w: optimizer slot %s of %s/%s: %v", ErrFormat, s.Name, s.Layer, s.Weight, err)
				}
				copy(v.slots[j], f.Float32s())
				found = true
			}
		}
		if !found {
			m.warnings = append(m.warnings, fmt.Sprintf("optimizer slot %q of %s/%s has no matching variable; ignored", s.Name, s.Layer, s.Weight))
		}
	}
	t.pending = nil
	return nil
}

func tensorShapeEq(a, b []int) bool { return tensor.SameShape(a, b) }

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseTrainingConfig reads a tf_keras training_config (optimizer under "optimizer_config")
// or a Keras 3 compile_config (optimizer under "optimizer").
func parseTrainingConfig(tc pyfmt.Object, d saved.Dialect) (*trainState, error) {
	t := &trainState{slotsKeras2: true, raw: &rawTraining{dialect: d}}
	ov, ok := tc.Lookup("optimizer_config")
	if !ok {
		ov, ok = tc.Lookup("optimizer")
	}
	if !ok {
		return nil, fmt.Errorf("no optimizer")
	}
	opt, class, cfg, err := optimizers.FromConfig(ov)
	if err != nil {
		return nil, err
	}
	t.opt = opt
	t.raw.optClass, t.raw.optCfg = class, cfg
	lv, _ := tc.Lookup("loss")
	if lv == nil {
		return nil, fmt.Errorf("no loss")
	}
	if err := t.parseLosses(lv); err != nil {
		return nil, err
	}
	wv, _ := tc.Lookup("loss_weights")
	if err := t.parseWeights(wv); err != nil {
		return nil, err
	}
	t.raw.loss, t.raw.weights, t.raw.hasLoss = lv, wv, true
	mv, _ := tc.Lookup("metrics")
	t.raw.metrics = mv
	if done, err := t.parseOutMetrics(mv); err != nil {
		return nil, err
	} else if done {
		mv = nil
	}
	if mv != nil {
		if err := t.parseMetricList(mv); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"weighted_metrics"} {
		if v, _ := tc.Lookup(k); v != nil {
			if a, ok := v.([]any); !ok || len(a) > 0 {
				return nil, fmt.Errorf("%s %s not supported", k, pyfmt.JSON(v))
			}
		}
	}
	return t, nil
}

// parseMetricList reads a metrics config (names, MeanMetricWrapper objects, nested lists)
// into t.metrics.
func (t *trainState) parseMetricList(mv any) error {
	t.metrics = []metrics.Metric{}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case string:
			s, err := metrics.Parse(x)
			if err != nil {
				return err
			}
			t.metrics = append(t.metrics, s)
		case pyfmt.Object:
			cfg, _ := pyfmt.Obj(x.Get("config"))
			name, _ := pyfmt.Str(cfg.Get("name"))
			fn, _ := pyfmt.Str(cfg.Get("fn"))
			if name == "" {
				if cn, _ := pyfmt.Str(x.Get("class_name")); cn != "" {
					name = cn
				}
			}
			s, err := metrics.Parse(name)
			if err != nil {
				if fn == "" {
					return err
				}
				if s, err = metrics.Parse(fn); err != nil {
					return err
				}
				s.Name = name
			}
			t.metrics = append(t.metrics, s)
		case nil:
		default:
			return fmt.Errorf("metrics entry %s", pyfmt.JSON(v))
		}
		return nil
	}
	return walk(mv)
}
