package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// GroupNormOptions are the optional arguments of NewGroupNormalization. The zero value means
// Keras's defaults: the last axis, epsilon 0.001, center and scale.
type GroupNormOptions struct {
	Name       string
	Axis       int     // Keras axis of the channels (0 means -1)
	Epsilon    float64 // 0 means 0.001
	NoCenter   bool
	NoScale    bool
	InputShape []int
}

// GroupNormalization is Keras's GroupNormalization: the channels (one axis) are split into
// groups; each sample is normalised per group over the group's channels and every other
// axis, then scaled and shifted per channel by gamma and beta. groups -1 means one group
// per channel.
type GroupNormalization struct {
	base
	groups        int // as configured (-1: one per channel)
	axis          int
	eps           float64
	center, scale bool

	betaInit, gammaInit             *kerasObject
	betaReg, gammaReg               *kerasObject
	betaConstraint, gammaConstraint *kerasObject

	gamma, beta *Weight
	ax, ng      int // resolved axis into the input shape, number of groups
	plan        *normPlan
	st          normState
}

// NewGroupNormalization returns a GroupNormalization layer with the given number of groups
// (Keras's default is 32; -1: one per channel).
func NewGroupNormalization(groups int, opts ...GroupNormOptions) *GroupNormalization {
	o := optionsArg("NewGroupNormalization", opts)
	l := &GroupNormalization{base: newBase(o.Name, o.InputShape), groups: groups, axis: o.Axis, eps: o.Epsilon,
		center: !o.NoCenter, scale: !o.NoScale}
	if l.axis == 0 {
		l.axis = -1
	}
	if l.eps == 0 {
		l.eps = 0.001
	}
	if l.eps < 0 || groups == 0 || groups < -1 {
		panic("layers.NewGroupNormalization: groups must be positive or -1 and epsilon >= 0")
	}
	return l
}

func init() {
	register(Spec{Classes: []string{"GroupNormalization"}, FromConfig: groupNormFromConfig, WeightNames: gammaBetaNames})
}

func groupNormFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("GroupNormalization", cfg)
	l := &GroupNormalization{}
	r.readBase(&l.base)
	l.groups = r.integer(32, -1, maxUnits, "groups")
	if l.groups == 0 {
		r.fail(ErrFormat, "groups 0")
	}
	l.axis = r.integer(-1, -33, 32, "axis")
	l.eps = r.float(0.001, "epsilon")
	if l.eps < 0 {
		r.fail(ErrFormat, "epsilon %v", l.eps)
	}
	l.center = r.boolean(true, "center")
	l.scale = r.boolean(true, "scale")
	readGammaBeta(r, &l.betaInit, &l.gammaInit, &l.betaReg, &l.gammaReg, &l.betaConstraint, &l.gammaConstraint)
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "GroupNormalization".
func (l *GroupNormalization) Class() string { return "GroupNormalization" }

// SetTrainable sets Keras's layer.trainable.
func (l *GroupNormalization) SetTrainable(t bool) {
	l.trainable = t
	setTrainable(t, l.gamma, l.beta)
}

// resolve returns the channel axis (index into in) and the number of groups.
func (l *GroupNormalization) resolve(in []int) (int, int, error) {
	ax, err := resolveAxes([]int{l.axis}, in, "GroupNormalization", l.name)
	if err != nil {
		return 0, 0, err
	}
	c := in[ax[0]]
	g := l.groups
	if g == -1 {
		g = c
	}
	if c < 1 || g > c || c%g != 0 {
		return 0, 0, layerErr(ErrShape, "GroupNormalization", l.name, "%d groups for %d channels (must divide them)", g, c)
	}
	return ax[0], g, nil
}

// OutputShape returns the input shape once the groups divide the channels.
func (l *GroupNormalization) OutputShape(in []int) ([]int, error) {
	if _, _, err := l.resolve(in); err != nil {
		return nil, err
	}
	if err := checkElems(in, "GroupNormalization", l.name); err != nil {
		return nil, err
	}
	return slices.Clone(in), nil
}

// Build creates gamma and beta, one value per channel.
func (l *GroupNormalization) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	ax, ng, _ := l.resolve(in)
	c := in[ax]
	mk := func(name string, o *kerasObject, def string) *Weight {
		w, _ := newWeight(name, l.trainable, []int{c}, rng)
		initWeight(w, o, def, c, c, rng)
		return w
	}
	l.gamma, l.beta = nil, nil
	if l.scale {
		l.gamma = mk("gamma", l.gammaInit, "Ones")
	}
	if l.center {
		l.beta = mk("beta", l.betaInit, "Zeros")
	}
	l.ax, l.ng = ax, ng
	per := c / ng
	l.plan = newNormPlan(in, func(coord []int) int { return coord[ax] / per }, ng, []int{ax})
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns gamma and beta (those that exist).
func (l *GroupNormalization) Weights() []*Weight { return weightList(l.gamma, l.beta) }

// ParamCount returns channels × (scale + center).
func (l *GroupNormalization) ParamCount(in []int) (int64, error) {
	ax, _, err := l.resolve(in)
	if err != nil {
		return 0, err
	}
	k := int64(0)
	if l.scale {
		k++
	}
	if l.center {
		k++
	}
	return product("GroupNormalization", l.name, int64(in[ax]), k)
}

// Forward normalises each sample per group (training and inference are the same).
func (l *GroupNormalization) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "GroupNormalization", l.name); err != nil {
		return nil, err
	}
	return l.plan.normalize(x, values(l.gamma), values(l.beta), l.eps, false, &l.st), nil
}

// Backward fills the gamma and beta gradients and returns dL/dx.
func (l *GroupNormalization) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	dg, db, err := normBackwardCheck(&l.st, dy, l.gamma, l.beta, "GroupNormalization", l.name)
	if err != nil {
		return nil, err
	}
	dx := l.plan.backward(&l.st, dy.Float32s(), values(l.gamma), false, dg, db)
	storeGrad(l.gamma, dg)
	storeGrad(l.beta, db)
	return tensor.MustFromFloat32(dy.Shape, dx), nil
}

// Config returns the layer's Keras config in dialect d (a built layer writes groups -1 as
// the number of channels, as both libraries do).
func (l *GroupNormalization) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	g := l.groups
	if l.Built() {
		g = l.ng
	}
	c["groups"] = g
	c["axis"] = l.axis
	c["epsilon"] = l.eps
	c["center"] = l.center
	c["scale"] = l.scale
	gammaBetaConfig(c, d, l.betaInit, l.gammaInit, l.betaReg, l.gammaReg, l.betaConstraint, l.gammaConstraint)
	return c
}

// Graph returns the inference ops as Keras writes them: the input reshaped to split the
// channel axis into (groups, channels/groups), moments over every axis but the batch and
// the group one, x·γ/√(var+ε) + (β − mean·γ/√(var+ε)) with γ, β reshaped to broadcast, and
// the result reshaped back.
func (l *GroupNormalization) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("GroupNormalization", l.name)
	}
	g := newGraphBuilder("GroupNormalization", l.name)
	c := l.inShape[l.ax]
	gs := []int32{-1} // grouped shape with the batch
	bs := []int32{1}  // broadcast shape of gamma and beta
	var axes []int32
	for i, n := range l.inShape {
		if i == l.ax {
			gs = append(gs, int32(l.ng), int32(c/l.ng))
			bs = append(bs, int32(l.ng), int32(c/l.ng))
			axes = append(axes, int32(len(gs)-1))
			continue
		}
		gs = append(gs, int32(n))
		bs = append(bs, 1)
		axes = append(axes, int32(len(gs)-1))
	}
	x := reshapeParam(g, "Reshape", "$in", gs)
	mean, variance := momentsGraph(g, x, axes)
	e := g.scalar("add/y", float32(l.eps))
	inv := g.fop("Rsqrt", "Rsqrt", g.fop("add", "AddV2", variance, e))
	if l.gamma != nil {
		inv = g.fop("mul", "Mul", inv, reshapeParam(g, "Reshape_1", g.read("gamma", "Reshape_1"), bs))
	}
	res := g.fop("Neg", "Neg", g.fop("mul_1", "Mul", mean, inv))
	if l.beta != nil {
		res = g.fop("add_1", "AddV2", res, reshapeParam(g, "Reshape_2", g.read("beta", "Reshape_2"), bs))
	}
	y := g.fop("add_2", "AddV2", g.fop("mul_2", "Mul", x, inv), res)
	out := make([]int32, 0, len(l.inShape)+1)
	out = append(out, -1)
	for _, n := range l.inShape {
		out = append(out, int32(n))
	}
	reshapeParam(g, "Reshape_3", y, out)
	return g.graph(l, false)
}
