package model

import (
	"fmt"
	"slices"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// DefaultSeed seeds weight initialisation of a model unless SetSeed is called.
const DefaultSeed = 1

// inputKind records how the model's input shape was given; it decides the InputLayer entry
// of the tf_keras config (its name, and whether the first layer carries batch_input_shape).
type inputKind int

const (
	inputNone     inputKind = iota // not known yet
	inputDeclared                  // input_shape (batch_input_shape) on the first layer
	inputExplicit                  // an InputLayer / keras.Input
	inputBuilt                     // model.build(shape), or the first Predict
)

// Model is a Keras model: a Sequential model (a stack of layers, each feeding the next; see
// NewSequential) or a Functional model (a graph of layers called on the outputs of others,
// with any number of inputs and outputs; see NewModel). As in Keras, where Sequential is a
// kind of Functional model, both are one type with one set of methods; the few that only make
// sense for one kind (Add and Pop for Sequential) say so in their errors.
//
// Predict, PredictN and PredictInto are safe for concurrent use, also with Fit, TrainOnBatch
// and Evaluate (see Predict); other methods are for one goroutine at a time. Methods use
// several goroutines internally.
type Model struct {
	name string
	// layers are the model's layers in Keras's model.layers order. A Sequential model's do
	// not include its InputLayer; a Functional model's include one *InputLayer per input.
	layers []layers.Layer
	// fn is the graph of a Functional model; nil for a Sequential model.
	fn *graph
	// fnVals are the tensors of a Functional model's last training forward (for backward).
	fnVals map[*KerasTensor]*tensor.Tensor
	// outMasks are the Keras masks of the outputs of the last forwardN (nil: none), by which
	// the losses are weighted (model/loss_mask.go).
	outMasks [][]bool
	// maskOpsRead records that the model's Keras 3 config held Keras 3's mask operations,
	// which its Keras 3 summary lists (model/summary_masks.go).
	maskOpsRead bool
	// callDialect is whose semantics the model's layer calls follow where tf_keras and Keras 3
	// differ: saved.Keras3 for a model read from a Keras 3 config (or built with
	// ModelOptions.CallDialect Keras3), whose recurrent calls given initial_state receive no
	// Keras mask; saved.Keras2 (tf_keras's) otherwise.
	callDialect saved.Dialect

	in struct {
		kind  inputKind
		shape []int // without the batch dimension; nil when unknown
		batch int   // the declared batch dimension, -1 for None
		name  string
		// autoName is an automatic InputLayer name ("input_2") a config gave, which name
		// leaves empty (saving names the input afresh); model.Dot draws it as tf_keras does.
		autoName string
	}
	// outShape is the output shape of the last layer (without batch) when built.
	outShape []int

	seed     uint64
	rng      *layers.Rand
	warnings []string
	// maxParams, when positive, bounds the parameters layers may allocate when built
	// (models read from configs: see LoadOptions.MaxParams).
	maxParams int64
	// noData makes layers built from now on have weights with shapes but no data (see
	// layers.NoData): set while a model read from a saved form is built, whose weights are
	// then all set from the saved tensors.
	noData bool
	// builtParams counts the parameters of the layers the model has built, so that the
	// budget check of each new layer is O(1) (reading a config of N layers is O(N)).
	builtParams int64
	// names caches the layer names (nameSet).
	names map[string]bool
	// nameNext holds, per automatic base name, the first suffix autoName has not yet found
	// taken (reset with names), so naming N unnamed layers probes O(N) names in all.
	nameNext map[string]int
	// nameProbes counts the names autoName has tried (a test checks it stays linear).
	nameProbes int
	// run orders Predict against training (model/predict_ws.go): Predict calls share it,
	// a training step, an evaluation batch and a Predict that must run alone hold it alone.
	run runState
	// dyn is set for a model whose inputs have unknown dimensions besides the batch
	// (model/dynshape.go).
	dyn *dynShape
	// depth counts the models that hold this one as a layer (models read from configs).
	depth int

	// train is the compiled state (optimizer, loss, metrics), owned by the training code
	// (train*.go); nil when the model is not compiled.
	train *trainState
}

// Sequential is the type of a Sequential model: the same type as Model, named so for code
// that builds one (NewSequential).
type Sequential = Model

// NewSequential returns a model holding ls in order, as keras.Sequential([...]). Layers
// without a name get Keras's automatic names. If the first layer is an Input or declares an
// input shape, every layer is built.
//
// NewSequential panics where Add would return an error (two layers with one name, an Input
// that is not first, a layer that does not fit the previous one's output): these are
// programmer errors. Use NewSequential() and Add to get errors instead.
func NewSequential(ls ...layers.Layer) *Model {
	m := &Model{name: "sequential", seed: DefaultSeed}
	m.in.batch = -1
	for _, l := range ls {
		if err := m.Add(l); err != nil {
			panic(err.Error())
		}
	}
	return m
}

// Name returns the model's name ("sequential" unless set).
func (m *Model) Name() string { return m.name }

// SetName sets the model's name.
func (m *Model) SetName(name string) { m.name = name }

// SetSeed sets the seed of the random source used to initialise weights of layers built
// from now on (and for dropout masks during training). The default is DefaultSeed.
func (m *Model) SetSeed(seed uint64) { m.seed = seed; m.rng = nil }

func (m *Model) rand() *layers.Rand {
	if m.rng == nil {
		m.rng = layers.NewRand(m.seed)
	}
	return m.rng
}

func (m *Model) buildRand() *layers.Rand {
	if m.noData {
		return m.rand().NoData()
	}
	return m.rand()
}

// Layers returns the model's layers in order (without the InputLayer, as Keras's
// model.layers).
func (m *Model) Layers() []layers.Layer { return slices.Clone(m.layers) }

// Layer returns the layer with the given name, or nil.
func (m *Model) Layer(name string) layers.Layer {
	for _, l := range m.layers {
		if l.Name() == name {
			return l
		}
	}
	return nil
}

// Warnings returns the problems found while reading configs and weights that did not stop
// the read: unknown config keys (ignored), options kept but without effect, layers skipped
// by LoadWeights with SkipMismatch. Each line names the layer and the key.
func (m *Model) Warnings() []string { return slices.Clone(m.warnings) }

// InputShape returns the model's input shape without the batch dimension (-1 for a
// dimension of unknown size, None), or nil if it is not known yet.
func (m *Model) InputShape() []int {
	if m.dyn != nil && len(m.dyn.declared) > 0 {
		return slices.Clone(m.dyn.declared[0])
	}
	return slices.Clone(m.in.shape)
}

// OutputShape returns the model's output shape without the batch dimension, or nil if the
// model is not built.
func (m *Model) OutputShape() []int {
	if m.dyn != nil {
		return m.dynOutputShape()
	}
	return slices.Clone(m.outShape)
}

// Built reports whether every layer is built (the input shape is known).
func (m *Model) Built() bool { return m.outShape != nil }

// Add appends a layer, as model.add(layer). A layer without a name gets Keras's automatic
// name. An *InputLayer is accepted only before any other layer. When the input shape is
// known the layer is built for the previous layer's output shape (or checked against it, if
// it is already built).
func (m *Model) Add(l layers.Layer) error {
	m.dirty()
	return apiErr("add", m.add(l))
}

func (m *Model) add(l layers.Layer) error {
	if l == nil {
		return fmt.Errorf("%w: nil layer", ErrFormat)
	}
	if _, ok := l.(layers.MultiInput); ok {
		who := l.Class()
		if l.Name() != "" {
			who = fmt.Sprintf("%q (%s)", l.Name(), l.Class())
		}
		return fmt.Errorf("%w: layer %s takes several inputs; a Sequential model passes one tensor from layer to layer, so it needs a Functional model",
			ErrUnsupported, who)
	}
	if mo, ok := l.(layers.MultiIO); ok && mo.MultiIO(1) {
		return fmt.Errorf("%w: layer %s returns several tensors (return_state, or Bidirectional with merge_mode None); all layers of a Sequential model must have a single output tensor, so it needs a Functional model",
			ErrUnsupported, layerWho(l))
	}
	if in, ok := l.(*InputLayer); ok {
		if len(m.layers) > 0 || m.in.kind != inputNone {
			return fmt.Errorf("%w: an InputLayer must be the first layer of a Sequential model", ErrFormat)
		}
		m.in.kind = inputExplicit
		m.in.shape = slices.Clone(in.shape)
		m.in.batch = in.batch
		m.in.name = in.name
		m.outShape = slices.Clone(in.shape)
		return nil
	}
	var mf maskFlow
	for _, prev := range m.layers {
		mf, _ = mf.next(prev, false)
	}
	if _, err := mf.next(l, false); err != nil {
		return err
	}
	name := l.Name()
	if name != "" && m.hasName(name) {
		if slices.Contains(m.layers, l) {
			return fmt.Errorf("%w: layer %q added twice", ErrFormat, name)
		}
		return fmt.Errorf("%w: all layers of a Sequential model must have unique names; %q is used twice", ErrFormat, name)
	}
	if m.in.kind == inputNone && len(m.layers) == 0 {
		if decl := layers.DeclaredInputShape(l); decl != nil {
			if len(decl) < 2 {
				return fmt.Errorf("%w: layer %q declares input shape %s", ErrShape, name, tensor.ShapeString(decl))
			}
			m.in.kind = inputDeclared
			m.in.batch = decl[0]
			m.in.shape = slices.Clone(decl[1:])
			m.outShape = slices.Clone(m.in.shape)
		}
	}
	if m.outShape != nil && !slices.Contains(m.outShape, -1) {
		out, err := m.buildLayer(l, m.outShape)
		if err != nil {
			return err
		}
		m.outShape = out
	} else {
		m.outShape = nil
	}
	if name == "" {
		l.SetName(m.autoName(l.Class()))
	}
	m.layers = append(m.layers, l)
	m.nameSet()[l.Name()] = true
	return nil
}

// nameSet returns the set of the model's layer names, building it when missing. Keras layer
// names do not change once a layer is in a model; the set makes adding N layers O(N).
func (m *Model) nameSet() map[string]bool {
	if m.names == nil {
		m.names = make(map[string]bool, len(m.layers))
		for _, l := range m.layers {
			m.names[l.Name()] = true
		}
	}
	return m.names
}

// hasName reports whether a layer of the model has the name.
func (m *Model) hasName(name string) bool { return m.nameSet()[name] }

// Pop removes and returns the last layer, as model.pop(). It is an error on a model without
// layers.
func (m *Model) Pop() (layers.Layer, error) {
	m.dirty()
	if len(m.layers) == 0 {
		return nil, apiErr("pop", fmt.Errorf("%w: the model has no layers", ErrFormat))
	}
	l := m.layers[len(m.layers)-1]
	m.layers = m.layers[:len(m.layers)-1]
	m.builtParams = max(m.builtParams-countParams(l.Weights()), 0)
	m.names, m.nameNext = nil, nil
	if m.outShape != nil {
		shape := slices.Clone(m.in.shape)
		for _, k := range m.layers {
			out, err := k.OutputShape(shape)
			if err != nil {
				shape = nil
				break
			}
			shape = out
		}
		m.outShape = shape
	}
	return l, nil
}

// CountParams returns the number of parameters of the model (trainable and not), as
// model.count_params().
func (m *Model) CountParams() int64 {
	tr, _, ntr, _ := m.paramCounts()
	return tr + ntr
}

// buildLayer builds l for input shape in (or checks a built layer's shape) and returns its
// output shape.
func (m *Model) buildLayer(l layers.Layer, in []int) ([]int, error) {
	if l.Built() {
		if got := l.InputShape(); !slices.Equal(got, in) {
			return nil, layerInputErr(l, in, fmt.Errorf("%w: the layer is built for input shape %s",
				ErrShape, shapeString(-1, got)))
		}
	} else if err := m.checkBudget(l, in); err != nil {
		return nil, err
	} else if err := l.Build(slices.Clone(in), m.buildRand()); err != nil {
		return nil, layerInputErr(l, in, err)
	} else {
		m.builtParams += countParams(l.Weights())
	}
	out, err := l.OutputShape(slices.Clone(in))
	if err != nil {
		return nil, layerInputErr(l, in, err)
	}
	return out, nil
}

// checkBudget fails if building l for input in would take the model over maxParams.
func (m *Model) checkBudget(l layers.Layer, in []int) error {
	if m.maxParams <= 0 {
		return nil
	}
	total, err := layers.ParamCount(l, in)
	if err != nil {
		return layerInputErr(l, in, err)
	}
	total += m.builtParams
	if total > m.maxParams || total < 0 {
		return layerInputErr(l, in, fmt.Errorf("%w: building it takes the model to %d parameters, over the limit of %d (LoadOptions.MaxParams)",
			ErrUnsupported, total, m.maxParams))
	}
	return nil
}

// autoName returns Keras's automatic name for a new layer of class: the first of base,
// base_1, base_2, ... not yet used in the model. For layers added in order this is Keras's
// per-class counter; where Keras would produce a duplicate (and then fail), it skips ahead.
func (m *Model) autoName(class string) string {
	return m.freeName(layers.DefaultBaseName(class))
}

// Build sets the input shape (without the batch dimension) and builds every layer, as
// model.build((None, *shape)) does. It is an error if the model already has a different
// input shape.
func (m *Model) Build(inputShape ...int) error {
	for _, d := range inputShape {
		if d < 1 {
			return apiErr("build", fmt.Errorf("%w: dimension %d in %s", ErrShape, d, shapeString(-1, inputShape)))
		}
	}
	if m.in.shape != nil && !slices.Contains(m.in.shape, -1) {
		if !slices.Equal(m.in.shape, inputShape) {
			return apiErr("build", inputShapeErr(append([]int{-1}, inputShape...), m.in.batch, m.in.shape))
		}
		if m.Built() {
			return nil
		}
	}
	return apiErr("build", m.buildAll(inputShape, inputBuilt))
}

// layerInputErr reports err from building layer l for input shape in (without the batch).
func layerInputErr(l layers.Layer, in []int, err error) error {
	return &wrapped{msg: fmt.Sprintf("layer %q (%s), input %s: %s", l.Name(), l.Class(), shapeString(-1, in), layerReason(l.Name(), l.Class(), err)), err: withShape(err)}
}

// buildAll builds every layer for input shape in. kind is recorded if none was before.
func (m *Model) buildAll(in []int, kind inputKind) error {
	m.dirty()
	shape := slices.Clone(in)
	for _, l := range m.layers {
		out, err := m.buildLayer(l, shape)
		if err != nil {
			return err
		}
		shape = out
	}
	if m.in.kind == inputNone {
		m.in.kind = kind
	}
	m.in.shape = slices.Clone(in)
	m.outShape = shape
	return nil
}

// shapeString formats a shape with its batch dimension (-1 for None) as Keras prints it:
// (None, 30, 30, 16).
func shapeString(batch int, shape []int) string {
	return tensor.ShapeString(append([]int{batch}, shape...))
}

// countParams returns the number of elements of the weights.
func countParams(ws []*layers.Weight) (n int64) {
	for _, w := range ws {
		if w.Value != nil {
			k, _ := tensor.NumElements(w.Value.Shape)
			n += k
		}
	}
	return n
}
