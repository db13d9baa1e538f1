package layers

import (
	"math"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ReLUOptions are the optional arguments of NewReLU; the zero value is Keras's default
// (plain relu).
type ReLUOptions struct {
	Name string
	// MaxValue, when non-nil, caps the output.
	MaxValue      *float64
	NegativeSlope float64
	Threshold     float64
	InputShape    []int
}

// ReLU is Keras's ReLU layer: f(x) = max_value for x >= max_value, x for threshold <= x <
// max_value, negative_slope·(x - threshold) otherwise.
type ReLU struct {
	ewise
	maxValue         *float64
	slope, threshold float64
	infer            inferBufs // the inference output, reused in a Workspace (ForwardWS)
}

// NewReLU returns a ReLU layer. It panics on a negative max_value or negative_slope.
func NewReLU(opts ...ReLUOptions) *ReLU {
	o := optionsArg("NewReLU", opts)
	if (o.MaxValue != nil && *o.MaxValue < 0) || o.NegativeSlope < 0 {
		panic("layers.NewReLU: max_value and negative_slope must be >= 0")
	}
	l := &ReLU{ewise: ewise{base: newBase(o.Name, o.InputShape), class: "ReLU"}, slope: o.NegativeSlope, threshold: o.Threshold}
	if o.MaxValue != nil {
		m := *o.MaxValue
		l.maxValue = &m
	}
	return l
}

func init() { register(Spec{Classes: []string{"ReLU"}, FromConfig: reluFromConfig}) }

func reluFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("ReLU", cfg)
	l := &ReLU{ewise: ewise{class: "ReLU"}}
	r.readBase(&l.base)
	if v, _, ok := r.get("max_value"); ok && v != nil {
		m := r.float(0, "max_value")
		if m < 0 {
			r.fail(ErrFormat, "max_value %v (must be >= 0)", m)
		}
		l.maxValue = &m
	}
	l.slope = r.float(0, "negative_slope")
	if l.slope < 0 {
		r.fail(ErrFormat, "negative_slope %v (must be >= 0)", l.slope)
	}
	l.threshold = r.float(0, "threshold")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "ReLU".
func (l *ReLU) Class() string { return "ReLU" }

func (l *ReLU) f(v float32) float32 {
	t := float32(l.threshold)
	if l.maxValue != nil && v >= float32(*l.maxValue) {
		return float32(*l.maxValue)
	}
	if v >= t {
		return v
	}
	return float32(l.slope) * (v - t)
}

// Forward applies the rectifier.
func (l *ReLU) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.forward(x, training, l.apply)
}

// Backward returns dL/dx: dy where threshold <= x < max_value, negative_slope·dy below the
// threshold, 0 above max_value.
func (l *ReLU) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	mx := float32(math.Inf(1))
	if l.maxValue != nil {
		mx = float32(*l.maxValue)
	}
	t, s := float32(l.threshold), float32(l.slope)
	return l.backward(dy, func(x, _, dy, dx []float32) {
		for i, v := range x {
			switch {
			case v >= mx:
				dx[i] = 0
			case v >= t:
				dx[i] = dy[i]
			default:
				dx[i] = s * dy[i]
			}
		}
	})
}

// Config returns the layer's Keras config in dialect d (tf_keras stores the arguments as
// float32).
func (l *ReLU) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	conv := func(v float64) float64 { return v }
	if d == saved.Keras2 {
		conv = f32
	}
	if l.maxValue != nil {
		c["max_value"] = conv(*l.maxValue)
	} else {
		c["max_value"] = nil
	}
	c["negative_slope"] = conv(l.slope)
	c["threshold"] = conv(l.threshold)
	return c
}

// Graph returns Relu, Relu6 or LeakyRelu where the arguments allow, as TF does, and otherwise
// where(x >= threshold, x, slope·(x - threshold)) capped by Minimum.
func (l *ReLU) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, layerErr(ErrShape, "ReLU", l.name, "Graph before Build")
	}
	g := newGraphBuilder(l.Class(), l.Name())
	var out string
	switch {
	case l.threshold == 0 && l.slope == 0 && l.maxValue == nil:
		out = g.fop("Relu", "Relu", "$in")
	case l.threshold == 0 && l.slope == 0 && *l.maxValue == 6:
		out = g.fop("Relu6", "Relu6", "$in")
	case l.threshold == 0 && l.maxValue == nil:
		out = g.op("LeakyRelu", "LeakyRelu", []string{"$in"}, map[string]saved.Attr{
			"T": saved.TypeAttr(tensor.Float32), "alpha": saved.FloatAttr(float32(l.slope))})
	default:
		t := g.scalar("threshold", float32(l.threshold))
		neg := g.fop("mul", "Mul", g.scalar("mul/x", float32(l.slope)), g.fop("sub", "Sub", "$in", t))
		out = g.fop("SelectV2", "SelectV2", g.fop("GreaterEqual", "GreaterEqual", "$in", t), "$in", neg)
		if l.maxValue != nil {
			out = g.fop("Minimum", "Minimum", out, g.scalar("Minimum/y", float32(*l.maxValue)))
		}
	}
	return g.graphOut(l.inShape, l.inShape, false, out)
}

// Keras 3 writes no build_config for ReLU (see BuildConfig).
func (*ReLU) noKeras3BuildConfig() {}
