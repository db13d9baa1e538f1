package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Rescaling is Keras's Rescaling preprocessing layer: y = x·scale + offset (scalars).
type Rescaling struct {
	ewise
	scale, offset float64
	// the config values as read, so that they are written back as given (1/255 stays a
	// float, an integer offset an integer)
	scaleCfg, offsetCfg any
}

// RescalingOptions are the optional arguments of NewRescaling.
type RescalingOptions struct {
	Name       string
	Offset     float64
	InputShape []int
}

// NewRescaling returns a Rescaling layer.
func NewRescaling(scale float64, opts ...RescalingOptions) *Rescaling {
	o := optionsArg("NewRescaling", opts)
	return &Rescaling{ewise: ewise{base: newBase(o.Name, o.InputShape), class: "Rescaling"}, scale: scale, offset: o.Offset,
		scaleCfg: scale, offsetCfg: o.Offset}
}

func init() { register(Spec{Classes: []string{"Rescaling"}, FromConfig: rescalingFromConfig}) }

func rescalingFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Rescaling", cfg)
	l := &Rescaling{ewise: ewise{class: "Rescaling"}}
	r.readBase(&l.base)
	for _, k := range []string{"scale", "offset"} {
		v, _, ok := r.get(k)
		if _, isList := v.([]any); isList {
			r.fail(ErrUnsupported, "%s %s (only a scalar is implemented)", k, jsonValue(v))
			continue
		}
		if !ok && k == "scale" {
			r.fail(ErrFormat, "no scale")
		}
	}
	l.scale = r.float(1, "scale")
	l.offset = r.float(0, "offset")
	l.scaleCfg, _, _ = r.get("scale")
	l.offsetCfg, _, _ = r.get("offset")
	if l.offsetCfg == nil {
		l.offsetCfg = 0.0
	}
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Rescaling".
func (l *Rescaling) Class() string { return "Rescaling" }

// Forward returns x·scale + offset, computed in float32 as Keras does.
func (l *Rescaling) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	s, o := float32(l.scale), float32(l.offset)
	return l.forward(x, training, func(x, y []float32) {
		for i, v := range x {
			y[i] = v*s + o
		}
	})
}

// Backward returns dy·scale.
func (l *Rescaling) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	s := float32(l.scale)
	return l.backward(dy, func(_, _, dy, dx []float32) {
		for i, v := range dy {
			dx[i] = v * s
		}
	})
}

// Config returns the layer's Keras config in dialect d.
func (l *Rescaling) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["scale"] = l.scaleCfg
	c["offset"] = l.offsetCfg
	return c
}

// Graph returns the inference ops: Mul by the scale, AddV2 of the offset.
func (l *Rescaling) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("Rescaling", l.name)
	}
	g := newGraphBuilder("Rescaling", l.name)
	y := g.fop("mul", "Mul", "$in", g.scalar("Cast", float32(l.scale)))
	g.fop("add", "AddV2", y, g.scalar("Cast_1", float32(l.offset)))
	return g.graph(l, false)
}
