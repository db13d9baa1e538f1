package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// LayerNormOptions are the optional arguments of NewLayerNormalization. The zero value means
// Keras's defaults: the last axis, epsilon 0.001, center and scale.
type LayerNormOptions struct {
	Name       string
	Axis       []int   // Keras axes (batch is 0, negatives from the end); nil: [-1]
	Epsilon    float64 // 0 means 0.001
	NoCenter   bool    // center=False: no beta
	NoScale    bool    // scale=False: no gamma
	RMSScaling bool    // Keras 3's rms_scaling: gamma·x/√(var+ε), no beta
	InputShape []int
}

// LayerNormalization is Keras's LayerNormalization: each sample is normalised over the given
// axes, y = gamma·(x−mean)/√(var+ε) + beta, with gamma and beta of the shape of those axes.
// Keras 3's rms_scaling=True computes gamma·x/√(var+ε) (var still centred) and has no beta.
type LayerNormalization struct {
	base
	axes     []int // as configured
	axesList bool  // the config gave a list
	// keras2Axes: the axes come from a tf_keras config, which writes a built layer's axes as
	// non-negative indices (the default -1 becomes [rank-1]).
	keras2Axes    bool
	eps           float64
	center, scale bool
	rms           bool

	betaInit, gammaInit             *kerasObject
	betaReg, gammaReg               *kerasObject
	betaConstraint, gammaConstraint *kerasObject

	gamma, beta *Weight
	resolved    []int // sorted indices into the input shape
	plan        *normPlan
	st          normState
}

// NewLayerNormalization returns a LayerNormalization layer.
func NewLayerNormalization(opts ...LayerNormOptions) *LayerNormalization {
	o := optionsArg("NewLayerNormalization", opts)
	l := &LayerNormalization{base: newBase(o.Name, o.InputShape), axes: []int{-1}, eps: o.Epsilon,
		center: !o.NoCenter, scale: !o.NoScale, rms: o.RMSScaling}
	if o.Axis != nil {
		l.axes, l.axesList = slices.Clone(o.Axis), true
	}
	if l.eps == 0 {
		l.eps = 0.001
	}
	if l.eps < 0 {
		panic("layers.NewLayerNormalization: epsilon must be >= 0")
	}
	return l
}

func init() {
	register(Spec{Classes: []string{"LayerNormalization"}, FromConfig: layerNormFromConfig,
		WeightNames: gammaBetaNames})
}

// gammaBetaNames names the variables of a layer with optional gamma (scale) and beta
// (center).
func gammaBetaNames(on func(string) bool) []string {
	scale, center := on("scale"), on("center")
	var names []string
	if scale {
		names = append(names, "gamma")
	}
	if center {
		names = append(names, "beta")
	}
	return names
}

func layerNormFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("LayerNormalization", cfg)
	l := &LayerNormalization{axes: []int{-1}}
	r.readBase(&l.base)
	if v, k, ok := r.get("axis"); ok && v != nil {
		_, l.axesList = v.([]any)
		l.axes = readAxes(r, k, v)
		l.keras2Axes = d == saved.Keras2
	}
	l.eps = r.float(0.001, "epsilon")
	if l.eps < 0 {
		r.fail(ErrFormat, "epsilon %v", l.eps)
	}
	l.center = r.boolean(true, "center")
	l.scale = r.boolean(true, "scale")
	l.rms = r.boolean(false, "rms_scaling")
	readGammaBeta(r, &l.betaInit, &l.gammaInit, &l.betaReg, &l.gammaReg, &l.betaConstraint, &l.gammaConstraint)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// readGammaBeta reads the initializers, regularizers and constraints of gamma and beta.
func readGammaBeta(r *cfgReader, bi, gi, br, gr, bc, gc **kerasObject) {
	*bi = r.object("initializers", "beta_initializer")
	*gi = r.object("initializers", "gamma_initializer")
	*br = r.objectKept("regularizers", "beta_regularizer")
	*gr = r.objectKept("regularizers", "gamma_regularizer")
	*bc = r.objectKept("constraints", "beta_constraint")
	*gc = r.objectKept("constraints", "gamma_constraint")
}

// Class returns "LayerNormalization".
func (l *LayerNormalization) Class() string { return "LayerNormalization" }

// Epsilon returns epsilon.
func (l *LayerNormalization) Epsilon() float64 { return l.eps }

// SetTrainable sets Keras's layer.trainable.
func (l *LayerNormalization) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.gamma, l.beta)
}

// hasGamma and hasBeta say which parameters Keras creates (rms_scaling: gamma only).
func (l *LayerNormalization) hasGamma() bool { return l.scale || l.rms }
func (l *LayerNormalization) hasBeta() bool  { return l.center && !l.rms }

// OutputShape returns the input shape once the axes fit it.
func (l *LayerNormalization) OutputShape(in []int) ([]int, error) {
	if _, err := resolveAxes(l.axes, in, "LayerNormalization", l.name); err != nil {
		return nil, err
	}
	if err := checkElems(in, "LayerNormalization", l.name); err != nil {
		return nil, err
	}
	return slices.Clone(in), nil
}

// paramShape is the shape of gamma and beta: the input's sizes along the axes.
func paramShape(in, axes []int) []int {
	s := make([]int, len(axes))
	for i, a := range axes {
		s[i] = in[a]
	}
	return s
}

// Build creates gamma and beta of the axes' shape.
func (l *LayerNormalization) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	ax, _ := resolveAxes(l.axes, in, "LayerNormalization", l.name)
	ps := paramShape(in, ax)
	n := shapeSize(ps)
	mk := func(name string, o *kerasObject, def string) *Weight {
		w, _ := newWeight(name, l.trainable, ps, rng)
		initWeight(w, o, def, n, n, rng)
		return w
	}
	l.gamma, l.beta = nil, nil
	if l.hasGamma() {
		l.gamma = mk("gamma", l.gammaInit, "Ones")
	}
	if l.hasBeta() {
		l.beta = mk("beta", l.betaInit, "Zeros")
	}
	l.resolved = ax
	groupOf, groups := outsideGroup(in, ax)
	l.plan = newNormPlan(in, groupOf, groups, ax)
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns gamma and beta (those that exist).
func (l *LayerNormalization) Weights() []*Weight { return weightList(l.gamma, l.beta) }

// ParamCount returns the size of gamma plus beta.
func (l *LayerNormalization) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	ax, _ := resolveAxes(l.axes, in, "LayerNormalization", l.name)
	k := int64(0)
	if l.hasGamma() {
		k++
	}
	if l.hasBeta() {
		k++
	}
	return product("LayerNormalization", l.name, int64(shapeSize(paramShape(in, ax))), k)
}

// Forward normalises each sample (training and inference are the same).
func (l *LayerNormalization) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "LayerNormalization", l.name); err != nil {
		return nil, err
	}
	return l.plan.normalize(x, values(l.gamma), values(l.beta), l.eps, l.rms, &l.st), nil
}

// Backward fills the gamma and beta gradients and returns dL/dx.
func (l *LayerNormalization) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	dg, db, err := normBackwardCheck(&l.st, dy, l.gamma, l.beta, "LayerNormalization", l.name)
	if err != nil {
		return nil, err
	}
	dx := l.plan.backward(&l.st, dy.Float32s(), values(l.gamma), l.rms, dg, db)
	storeGrad(l.gamma, dg)
	storeGrad(l.beta, db)
	return tensor.MustFromFloat32(dy.Shape, dx), nil
}

// normBackwardCheck checks dy against the cached Forward and allocates the parameter
// gradients wanted.
func normBackwardCheck(st *normState, dy *tensor.Tensor, gamma, beta *Weight, class, name string) (dg, db []float64, err error) {
	if !st.normalised {
		return nil, nil, layerErr(ErrShape, class, name, "Backward without a Forward")
	}
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, st.x.Shape) {
		var s []int
		if dy != nil {
			s = dy.Shape
		}
		return nil, nil, layerErr(ErrShape, class, name, "dy shape %s, want %s", tensor.ShapeString(s), tensor.ShapeString(st.x.Shape))
	}
	if gamma != nil && gamma.Trainable {
		dg = make([]float64, gamma.Value.Len())
	}
	if beta != nil && beta.Trainable {
		db = make([]float64, beta.Value.Len())
	}
	return dg, db, nil
}

// Config returns the layer's Keras config in dialect d. tf_keras writes the axes of a built
// layer as a sorted list of non-negative indices ([3]); Keras 3 as a sorted list of the
// configured values ([-1]); unbuilt, both write the value as configured.
func (l *LayerNormalization) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["axis"] = l.axisConfig(d)
	c["epsilon"] = l.eps
	c["center"] = l.center
	c["scale"] = l.scale
	if d == saved.Keras3 {
		c["rms_scaling"] = l.rms
	}
	gammaBetaConfig(c, d, l.betaInit, l.gammaInit, l.betaReg, l.gammaReg, l.betaConstraint, l.gammaConstraint)
	return c
}

func (l *LayerNormalization) axisConfig(d saved.Dialect) any {
	switch {
	case l.Built() && d == saved.Keras2:
		v := make([]int, len(l.resolved))
		for i, a := range l.resolved {
			v[i] = a + 1
		}
		return intList(v...)
	case l.Built() && l.keras2Axes && len(l.axes) == 1 && l.axes[0] == len(l.inShape):
		// tf_keras's index of the last axis: Keras 3 writes the default as configured, [-1].
		return intList(-1)
	case l.Built():
		return intList(sortedCopy(l.axes)...)
	case l.axesList || len(l.axes) != 1:
		return intList(l.axes...)
	}
	return l.axes[0]
}

func sortedCopy(v []int) []int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}

// gammaBetaConfig writes the initializers, regularizers and constraints of gamma and beta.
func gammaBetaConfig(c map[string]any, d saved.Dialect, bi, gi, br, gr, bc, gc *kerasObject) {
	c["beta_initializer"] = initializerValue(bi, "Zeros", d)
	c["gamma_initializer"] = initializerValue(gi, "Ones", d)
	c["beta_regularizer"] = br.value(d)
	c["gamma_regularizer"] = gr.value(d)
	c["beta_constraint"] = bc.value(d)
	c["gamma_constraint"] = gc.value(d)
}

// broadcastShape is the shape (batch included) a parameter over axes is reshaped to for
// broadcasting, or nil when the axes are the last one alone.
func broadcastShape(in, axes []int) []int32 {
	if len(axes) == 1 && axes[0] == len(in)-1 {
		return nil
	}
	s := make([]int32, len(in)+1)
	s[0] = 1
	for i := range in {
		s[i+1] = 1
		if slices.Contains(axes, i) {
			s[i+1] = int32(in[i])
		}
	}
	return s
}

// Graph returns the inference ops: moments over the axes, then
// x·(γ/√(var+ε)) + (β − mean·γ/√(var+ε)) (rms_scaling: x·(γ/√(var+ε))).
func (l *LayerNormalization) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("LayerNormalization", l.name)
	}
	g := newGraphBuilder("LayerNormalization", l.name)
	axes := make([]int32, len(l.resolved))
	for i, a := range l.resolved {
		axes[i] = int32(a + 1)
	}
	bs := broadcastShape(l.inShape, l.resolved)
	mean, variance := momentsGraph(g, "$in", axes)
	e := g.scalar("batchnorm/add/y", float32(l.eps))
	inv := g.fop("batchnorm/Rsqrt", "Rsqrt", g.fop("batchnorm/add", "AddV2", variance, e))
	if l.gamma != nil {
		gm := reshapeParam(g, "Reshape", g.read("gamma", "Reshape"), bs)
		inv = g.fop("batchnorm/mul", "Mul", inv, gm)
	}
	xs := g.fop("batchnorm/mul_1", "Mul", "$in", inv)
	if l.rms {
		return g.graph(l, false)
	}
	ms := g.fop("batchnorm/mul_2", "Mul", mean, inv)
	if l.beta != nil {
		bt := reshapeParam(g, "Reshape_1", g.read("beta", "Reshape_1"), bs)
		g.fop("batchnorm/add_1", "AddV2", xs, g.fop("batchnorm/sub", "Sub", bt, ms))
	} else {
		g.fop("batchnorm/sub", "Sub", xs, ms)
	}
	return g.graph(l, false)
}
