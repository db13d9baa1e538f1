package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// DenseOptions are the optional arguments of NewDense. The zero value means Keras's
// defaults: no activation (linear), with a bias.
type DenseOptions struct {
	Name       string
	Activation string // "relu", "softmax", ...; "" is linear
	NoBias     bool   // use_bias=False
	// InputShape, when set, declares the input shape without the batch dimension (Keras's
	// input_shape argument on the first layer).
	InputShape []int
}

// Dense is Keras's densely connected layer: y = activation(x·kernel + bias), applied to the
// last axis. Weights: kernel (in, units), bias (units).
type Dense struct {
	base
	units   int
	act     *activationFunc
	useBias bool

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject
	kernel, bias                     *Weight
	inDim                            int
	x, z, y                          *tensor.Tensor // cached by a training Forward
	skipDX                           bool
	infer                            inferBufs // the inference output, reused across calls
}

// NewDense returns a Dense layer with units outputs. It panics if units < 1 or the
// activation is unknown (programmer errors).
func NewDense(units int, opts ...DenseOptions) *Dense {
	o := optionsArg("NewDense", opts)
	if units < 1 {
		panic("layers.NewDense: units must be positive")
	}
	a, err := lookupActivation(o.Activation)
	if err != nil {
		panic("layers.NewDense: " + err.Error())
	}
	return &Dense{base: newBase(o.Name, o.InputShape), units: units, act: a, useBias: !o.NoBias}
}

func init() {
	register(Spec{Classes: []string{"Dense"}, FromConfig: denseFromConfig, WeightNames: kernelBiasNames})
}

func denseFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Dense", cfg)
	r.dialect = d
	l := &Dense{}
	r.readBase(&l.base)
	l.units = r.integer(0, 1, maxUnits, "units", "output_dim")
	if v, _, ok := r.get("units", "output_dim"); !ok || v == nil {
		r.fail(ErrFormat, "missing units")
	}
	l.act = r.activation()
	l.useBias = r.boolean(true, "use_bias", "bias")
	l.kernelInit = r.object("initializers", "kernel_initializer", "init")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer", "W_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer", "b_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "kernel_constraint", "W_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint", "b_constraint")
	r.unsupportedIfSet("quantization_config", "lora_rank")
	r.ignore("lora_alpha", "lora_enabled")
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Dense".
func (l *Dense) Class() string { return "Dense" }

// Units returns the number of outputs.
func (l *Dense) Units() int { return l.units }

// Activation returns the activation's name.
func (l *Dense) Activation() string { return l.act.name }

// UseBias reports whether the layer has a bias.
func (l *Dense) UseBias() bool { return l.useBias }

// SetTrainable sets Keras's layer.trainable.
func (l *Dense) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.kernel, l.bias) }

// OutputShape returns the input shape with its last axis replaced by units.
func (l *Dense) OutputShape(in []int) ([]int, error) {
	if len(in) < 1 || in[len(in)-1] < 1 {
		return nil, layerErr(ErrShape, "Dense", l.name, "input shape %s: need at least one axis", tensor.ShapeString(in))
	}
	out := slices.Clone(in)
	out[len(out)-1] = l.units
	return out, nil
}

// Build creates kernel (in, units) and bias (units).
func (l *Dense) Build(in []int, rng *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inDim = in[len(in)-1]
	k, err := newWeight("kernel", l.trainable, []int{l.inDim, l.units}, rng)
	if err != nil {
		return layerErr(ErrShape, "Dense", l.name, "kernel: %v", err)
	}
	initWeight(k, l.kernelInit, "GlorotUniform", l.inDim, l.units, rng)
	l.kernel = k
	l.bias = nil
	if l.useBias {
		b, _ := newWeight("bias", l.trainable, []int{l.units}, rng)
		initWeight(b, l.biasInit, "Zeros", l.inDim, l.units, rng)
		l.bias = b
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns kernel and (if used) bias.
func (l *Dense) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// Forward computes activation(x·kernel + bias) over the last axis of x. ForwardWS reuses
// the inference output buffer instead (see Workspace).
func (l *Dense) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.forward(nil, x, training)
}

// ForwardWS is Forward(x, false) with the buffers of ws (see Workspace).
func (l *Dense) ForwardWS(ws *Workspace, x *tensor.Tensor) (*tensor.Tensor, error) {
	return l.forward(ws, x, false)
}

func (l *Dense) forward(ws *Workspace, x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Dense", l.name); err != nil {
		return nil, err
	}
	rows := x.Len() / l.inDim
	var z, y []float32
	var b *inferBufs
	if training {
		z = make([]float32, rows*l.units)
		y = z
		if l.act.needZ {
			y = make([]float32, len(z))
		}
	} else {
		// Inference: the buffers of ws (see Workspace).
		b = ws.acquire(&l.infer)
		defer ws.release(b)
		if l.act.needZ {
			z = b.get(0, rows*l.units)
			y = b.out(1, len(z))
		} else {
			z = b.out(0, rows*l.units)
			y = z
		}
	}
	xd, kd := x.Float32s(), l.kernel.Value.Float32s()
	var bd []float32
	if l.bias != nil {
		bd = l.bias.Value.Float32s()
	}
	n := l.units
	beta := float32(0)
	if bd != nil {
		fillRows(z, bd)
		beta = 1
	}
	// One product: gemm splits it over the worker pool itself, sharing the packed kernel.
	gemm(false, false, rows, n, l.inDim, 1, xd, l.inDim, kd, n, beta, z, n)
	l.act.apply(z, y, n)
	if !training {
		if l.x != nil || l.z != nil || l.y != nil {
			l.x, l.z, l.y = nil, nil, nil
		}
		return b.viewLast(0, y, x, l.units), nil
	}
	outShape := slices.Clone(x.Shape)
	outShape[len(outShape)-1] = l.units
	out := tensor.MustFromFloat32(outShape, y)
	l.x, l.z, l.y = x, tensor.MustFromFloat32(outShape, z), out
	return out, nil
}

// Backward fills the kernel and bias gradients and returns dL/dx.
func (l *Dense) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.x == nil {
		return nil, layerErr(ErrShape, "Dense", l.name, "Backward without a training Forward")
	}
	if !tensor.SameShape(dy.Shape, l.y.Shape) || dy.DType != tensor.Float32 {
		return nil, layerErr(ErrShape, "Dense", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(l.y.Shape))
	}
	n, k := l.units, l.inDim
	rows := l.x.Len() / k
	dz := make([]float32, len(dy.Float32s()))
	l.act.grad(l.z.Float32s(), l.y.Float32s(), dy.Float32s(), dz, n)
	xd, kd := l.x.Float32s(), l.kernel.Value.Float32s()
	var dxT *tensor.Tensor
	if !l.skipDX {
		dx := make([]float32, len(xd))
		// dx = dz · kernelᵀ
		gemm(false, true, rows, k, n, 1, dz, n, kd, n, 0, dx, k)
		dxT = tensor.MustFromFloat32(l.x.Shape, dx)
	}
	if !l.trainable {
		return dxT, nil
	}
	// dkernel = xᵀ · dz
	gk := gradOf(l.kernel)
	gemm(true, false, k, n, rows, 1, xd, k, dz, n, 0, gk, n)
	if l.bias != nil {
		gb := gradOf(l.bias)
		clear(gb)
		for r := 0; r < rows; r++ {
			for j, v := range dz[r*n : (r+1)*n] {
				gb[j] += v
			}
		}
	}
	return dxT, nil
}

// SetSkipInputGradient makes Backward skip dL/dx and return nil (for the first layer of a
// model).
func (l *Dense) SetSkipInputGradient(skip bool) { l.skipDX = skip }

// Config returns the layer's Keras config in dialect d.
func (l *Dense) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["units"] = l.units
	c["activation"] = l.act.configName(d)
	c["use_bias"] = l.useBias
	c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["kernel_regularizer"] = l.kernelReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["kernel_constraint"] = l.kernelConstraint.value(d)
	c["bias_constraint"] = l.biasConstraint.value(d)
	if d == saved.Keras3 {
		// Keras 3 Dense keeps activity_regularizer in the base config, only when set.
		if l.activityReg != nil {
			c["activity_regularizer"] = l.activityReg.value(d)
		}
		c["quantization_config"] = nil
	} else {
		c["activity_regularizer"] = l.activityReg.value(d)
	}
	return c
}

// Graph returns the layer's TF ops: MatMul on the kernel, BiasAdd, then the activation's op.
// Inputs of rank above 2 (with the batch) are multiplied as tf.tensordot does, reshaped to
// rows of the last axis and back.
func (l *Dense) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("Dense", l.name)
	}
	g := newGraphBuilder("Dense", l.name)
	var x string
	if in := l.InputShape(); len(in) != 1 {
		// tf.tensordot over the last axis: the input as rows of its last axis, MatMul, and
		// back to the input's leading axes (fixed here) with the units.
		k := g.read("kernel", "Tensordot")
		r := g.op("Tensordot/Reshape", "Reshape", []string{"$in", g.int32Const("Tensordot/Reshape/shape", []int32{-1, int32(in[len(in)-1])})},
			tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
		mm := g.op("Tensordot/MatMul", "MatMul", []string{r, k}, tAttrs(nil))
		shape := []int32{-1}
		for _, v := range in[:len(in)-1] {
			shape = append(shape, int32(v))
		}
		shape = append(shape, int32(l.units))
		x = g.op("Tensordot", "Reshape", []string{mm, g.int32Const("Tensordot/shape", shape)},
			tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
	} else {
		k := g.read("kernel", "MatMul")
		x = g.op("MatMul", "MatMul", []string{"$in", k}, tAttrs(nil))
	}
	if l.bias != nil {
		b := g.read("bias", "BiasAdd")
		x = g.op("BiasAdd", "BiasAdd", []string{x, b}, tAttrs(nil))
	}
	g.activation(l.act, x)
	return g.graph(l, false)
}
