package layers

import (
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// EinsumDenseOptions are the optional arguments of NewEinsumDense.
type EinsumDenseOptions struct {
	Name       string
	Activation string // "" is linear
	// BiasAxes are the output letters the bias spans ("" : no bias).
	BiasAxes   string
	InputShape []int
}

// EinsumDense is Keras's EinsumDense: y = activation(einsum(equation, x, kernel) + bias).
// The equation is "<x letters>,<kernel letters>-><output letters>" with the batch as the
// first letter of x and of the output ("abc,cde->abde"). Every letter is either in x and the
// output (kept), in x and the kernel (summed over) or in the kernel and the output (new);
// ellipses and letters in all three operands are not supported. OutputShape gives the output
// without the batch, -1 for a dimension taken from x. The bias has the output's dimensions
// from the first bias letter on, 1 where a letter is not a bias letter (Keras's layout).
type EinsumDense struct {
	base
	equation string
	outCfg   []int // configured output shape without the batch (-1: None)
	outList  bool  // output_shape was written as a list
	biasAxes string
	act      *activationFunc

	kernelInit, biasInit             *kerasObject
	kernelReg, biasReg, activityReg  *kerasObject
	kernelConstraint, biasConstraint *kerasObject
	kernel, bias                     *Weight

	xs, ks, os string // the equation's letters

	cache *einsumCache
}

// einsumCache is what Backward needs from a training Forward.
type einsumCache struct {
	x, z, y *tensor.Tensor
	xp, kp  []float32 // x as (M, K) and kernel as (K, N)
	m, k, n int
}

// NewEinsumDense returns an EinsumDense layer. outputShape is the output without the batch
// (-1: taken from the input). It panics on an equation it cannot run (a programmer error).
func NewEinsumDense(equation string, outputShape []int, opts ...EinsumDenseOptions) *EinsumDense {
	o := optionsArg("NewEinsumDense", opts)
	a, err := lookupActivation(o.Activation)
	if err != nil {
		panic("layers.NewEinsumDense: " + err.Error())
	}
	l := &EinsumDense{base: newBase(o.Name, o.InputShape), equation: equation,
		outCfg: slices.Clone(outputShape), outList: true, biasAxes: o.BiasAxes, act: a}
	if err := l.parse(); err != nil {
		panic("layers.NewEinsumDense: " + err.Error())
	}
	return l
}

func init() {
	register(Spec{Classes: []string{"EinsumDense"}, FromConfig: einsumDenseFromConfig,
		WeightNames: func(on func(string) bool) []string {
			if on("bias_axes") {
				return []string{"kernel", "bias"}
			}
			return []string{"kernel"}
		}})
}

func einsumDenseFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("EinsumDense", cfg)
	r.dialect = d
	l := &EinsumDense{}
	r.readBase(&l.base)
	l.equation = r.str("", "equation")
	if l.equation == "" {
		r.fail(ErrFormat, "missing equation")
	}
	switch v := cfg["output_shape"].(type) {
	case float64:
		n, ok := toInt(v, 1, maxUnits)
		if !ok {
			r.fail(ErrFormat, "output_shape %s", jsonValue(v))
		}
		l.outCfg = []int{n}
	case []any:
		l.outList = true
		if len(v) > 16 {
			r.fail(ErrFormat, "output_shape has %d axes", len(v))
			break
		}
		for _, e := range v {
			if e == nil {
				l.outCfg = append(l.outCfg, -1)
				continue
			}
			n, ok := toInt(e, 1, maxDim)
			if !ok {
				r.fail(ErrFormat, "output_shape %s", jsonValue(v))
				break
			}
			l.outCfg = append(l.outCfg, n)
		}
	default:
		r.fail(ErrFormat, "output_shape: want an integer or a list, have %s", jsonType(cfg["output_shape"]))
	}
	if v, ok := cfg["bias_axes"]; ok && v != nil {
		s, isStr := v.(string)
		if !isStr {
			r.fail(ErrFormat, "bias_axes: want a string, have %s", jsonType(v))
		}
		l.biasAxes = s
	}
	l.act = r.activation()
	l.kernelInit = r.object("initializers", "kernel_initializer")
	l.biasInit = r.object("initializers", "bias_initializer")
	l.kernelReg = r.objectKept("regularizers", "kernel_regularizer")
	l.biasReg = r.objectKept("regularizers", "bias_regularizer")
	l.activityReg = r.objectKept("regularizers", "activity_regularizer")
	l.kernelConstraint = r.objectKept("constraints", "kernel_constraint")
	l.biasConstraint = r.objectKept("constraints", "bias_constraint")
	r.unsupportedIfSet("quantization_config", "lora_rank")
	r.ignore("output_shape", "bias_axes", "lora_alpha", "lora_enabled", "gptq", "gptq_unpacked_column_size")
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	if err := l.parse(); err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// parse splits and checks the equation and bias axes.
func (l *EinsumDense) parse() error {
	bad := func(f string, a ...any) error { return layerErr(ErrUnsupported, "EinsumDense", l.name, f, a...) }
	eq := strings.ReplaceAll(l.equation, " ", "")
	lhs, out, ok := strings.Cut(eq, "->")
	xs, ks, ok2 := strings.Cut(lhs, ",")
	if !ok || !ok2 || xs == "" || ks == "" || out == "" || strings.Contains(eq, ".") {
		return bad("equation %q: want \"<x>,<kernel>-><output>\" without ellipses", l.equation)
	}
	seen := map[rune]bool{}
	for _, part := range []string{xs, ks, out} {
		m := map[rune]bool{}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') || m[c] {
				return bad("equation %q: letter %q", l.equation, c)
			}
			m[c] = true
			seen[c] = true
		}
	}
	for c := range seen {
		inX, inK, inO := strings.ContainsRune(xs, c), strings.ContainsRune(ks, c), strings.ContainsRune(out, c)
		if inX && inK && inO || !(inX && inK || inX && inO || inK && inO) {
			return bad("equation %q: letter %q must be in exactly two operands", l.equation, c)
		}
	}
	if xs[0] != out[0] || strings.ContainsRune(ks, rune(xs[0])) {
		return bad("equation %q: the first letter of x and of the output must be the batch", l.equation)
	}
	if len(l.outCfg) != len(out)-1 {
		return bad("equation %q: output_shape %v has %d axes, the output %d without the batch", l.equation, l.outCfg, len(l.outCfg), len(out)-1)
	}
	for _, c := range l.biasAxes {
		if !strings.ContainsRune(out, c) || strings.Count(l.biasAxes, string(c)) > 1 {
			return bad("bias_axes %q: letter %q is not an output letter", l.biasAxes, c)
		}
	}
	l.xs, l.ks, l.os = xs, ks, out
	return nil
}

// Class returns "EinsumDense".
func (l *EinsumDense) Class() string { return "EinsumDense" }

// Equation returns the einsum equation.
func (l *EinsumDense) Equation() string { return l.equation }

// SetTrainable sets Keras's layer.trainable.
func (l *EinsumDense) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.kernel, l.bias) }

// dims returns every letter's size for an input shape without the batch (batch letter: -1).
func (l *EinsumDense) dims(in []int) (map[byte]int, error) {
	if len(in) != len(l.xs)-1 {
		return nil, layerErr(ErrShape, "EinsumDense", l.name, "input shape %s: the equation %q wants rank %d with the batch", tensor.ShapeString(in), l.equation, len(l.xs))
	}
	d := map[byte]int{l.xs[0]: -1}
	for i := 1; i < len(l.xs); i++ {
		if in[i-1] < 1 {
			return nil, layerErr(ErrShape, "EinsumDense", l.name, "input shape %s", tensor.ShapeString(in))
		}
		d[l.xs[i]] = in[i-1]
	}
	for i := 1; i < len(l.os); i++ {
		c, v := l.os[i], l.outCfg[i-1]
		if have, ok := d[c]; ok {
			if v != -1 && v != have {
				return nil, layerErr(ErrShape, "EinsumDense", l.name, "output_shape %v: axis %c is %d in the input", l.outCfg, c, have)
			}
			continue
		}
		if v < 1 {
			return nil, layerErr(ErrShape, "EinsumDense", l.name, "output_shape %v: axis %c is not in the input and has no size", l.outCfg, c)
		}
		d[c] = v
	}
	return d, nil
}

func shapeOfLetters(s string, d map[byte]int) []int {
	out := make([]int, len(s))
	for i := range s {
		out[i] = d[s[i]]
	}
	return out
}

// OutputShape returns the output shape without the batch.
func (l *EinsumDense) OutputShape(in []int) ([]int, error) {
	d, err := l.dims(in)
	if err != nil {
		return nil, err
	}
	return shapeOfLetters(l.os[1:], d), nil
}

// biasShape is Keras's bias layout: output letters from the first bias letter on.
func (l *EinsumDense) biasShape(d map[byte]int) []int {
	first := len(l.os)
	for _, c := range l.biasAxes {
		first = min(first, strings.IndexRune(l.os, c))
	}
	var s []int
	for i := first; i < len(l.os); i++ {
		if strings.IndexByte(l.biasAxes, l.os[i]) >= 0 {
			s = append(s, d[l.os[i]])
		} else {
			s = append(s, 1)
		}
	}
	return s
}

// Build creates the kernel (its letters' sizes) and, with bias axes, the bias.
func (l *EinsumDense) Build(in []int, rng *Rand) error {
	d, err := l.dims(in)
	if err != nil {
		return err
	}
	ks := shapeOfLetters(l.ks, d)
	k, err := newWeight("kernel", l.trainable, ks, rng)
	if err != nil {
		return layerErr(ErrShape, "EinsumDense", l.name, "kernel: %v", err)
	}
	rf := 1
	for _, v := range ks[:max(0, len(ks)-2)] {
		rf *= v
	}
	fanIn, fanOut := ks[0]*rf, ks[0]*rf
	if len(ks) >= 2 {
		fanIn, fanOut = ks[len(ks)-2]*rf, ks[len(ks)-1]*rf
	}
	initWeight(k, l.kernelInit, "GlorotUniform", fanIn, fanOut, rng)
	l.kernel, l.bias = k, nil
	if l.biasAxes != "" {
		b, err := newWeight("bias", l.trainable, l.biasShape(d), rng)
		if err != nil {
			return layerErr(ErrShape, "EinsumDense", l.name, "bias: %v", err)
		}
		initWeight(b, l.biasInit, "Zeros", fanIn, fanOut, rng)
		l.bias = b
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns kernel and (with bias axes) bias.
func (l *EinsumDense) Weights() []*Weight { return weightList(l.kernel, l.bias) }

// einsumPlan is an equation's letters arranged for one matrix product: x as (xfree,
// contracted) (M, K), kernel as (contracted, kfree) (K, N), product (xfree, kfree).
type einsumPlan struct {
	xPerm, kPerm, zPerm, zInv []int // transposes into and out of the product layout
	xShape, kShape, zShape    []int // natural shapes (batch given)
	m, k, n                   int
}

func (l *EinsumDense) plan(batch int) einsumPlan {
	d, _ := l.dims(l.inShape)
	d[l.xs[0]] = batch
	var p einsumPlan
	var free, contr, kfree []byte
	for i := range l.xs {
		if strings.IndexByte(l.os, l.xs[i]) >= 0 {
			free = append(free, l.xs[i])
		}
	}
	for i := range l.ks {
		if strings.IndexByte(l.xs, l.ks[i]) >= 0 {
			contr = append(contr, l.ks[i])
		} else {
			kfree = append(kfree, l.ks[i])
		}
	}
	p.m, p.k, p.n = 1, 1, 1
	for _, c := range free {
		p.xPerm = append(p.xPerm, strings.IndexByte(l.xs, c))
		p.m *= d[c]
	}
	for _, c := range contr {
		p.xPerm = append(p.xPerm, strings.IndexByte(l.xs, c))
		p.kPerm = append(p.kPerm, strings.IndexByte(l.ks, c))
		p.k *= d[c]
	}
	for _, c := range kfree {
		p.kPerm = append(p.kPerm, strings.IndexByte(l.ks, c))
		p.n *= d[c]
	}
	prod := string(append(slices.Clone(free), kfree...))
	for i := range l.os {
		p.zPerm = append(p.zPerm, strings.IndexByte(prod, l.os[i])) // product -> output
	}
	p.zInv = make([]int, len(p.zPerm))
	for i, v := range p.zPerm {
		p.zInv[v] = i
	}
	p.xShape, p.kShape = shapeOfLetters(l.xs, d), shapeOfLetters(l.ks, d)
	p.zShape = shapeOfLetters(prod, d)
	return p
}

// permuted returns src (shape in) transposed by perm, or src itself for the identity.
func permuted(src []float32, in, perm []int) []float32 {
	ident := true
	for i, v := range perm {
		ident = ident && v == i
	}
	if ident {
		return src
	}
	dst := make([]float32, len(src))
	transposeSamples(1, in, perm, src, dst)
	return dst
}

func permShape(in, perm []int) []int {
	out := make([]int, len(perm))
	for i, p := range perm {
		out[i] = in[p]
	}
	return out
}

// biasBlock returns the bias broadcast over the output's trailing axes from the first bias
// letter on (the block every leading index adds).
func (l *EinsumDense) biasBlock(outShape []int) []float32 {
	bs := l.bias.Value.Shape
	tail := outShape[len(outShape)-len(bs):]
	n := 1
	for _, v := range tail {
		n *= v
	}
	block := make([]float32, n)
	bd := l.bias.Value.Float32s()
	l.eachBiasIndex(tail, bs, func(i, j int) { block[i] = bd[j] })
	return block
}

// eachBiasIndex calls f(i, j) for each element i of a block of shape tail with j its bias
// element (bias shape bs: 1 where broadcast).
func (l *EinsumDense) eachBiasIndex(tail, bs []int, f func(i, j int)) {
	idx := make([]int, len(tail))
	n := 1
	for _, v := range tail {
		n *= v
	}
	for i := 0; i < n; i++ {
		j := 0
		for a := range tail {
			c := idx[a]
			if bs[a] == 1 {
				c = 0
			}
			j = j*bs[a] + c
		}
		f(i, j)
		for a := len(tail) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < tail[a] {
				break
			}
			idx[a] = 0
		}
	}
}

// Forward computes activation(einsum(x, kernel) + bias).
func (l *EinsumDense) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "EinsumDense", l.name); err != nil {
		return nil, err
	}
	p := l.plan(x.Shape[0])
	xp := permuted(x.Float32s(), p.xShape, p.xPerm)
	kp := permuted(l.kernel.Value.Float32s(), p.kShape, p.kPerm)
	prod := make([]float32, p.m*p.n)
	gemm(false, false, p.m, p.n, p.k, 1, xp, p.k, kp, p.n, 0, prod, p.n)
	z := permuted(prod, p.zShape, p.zPerm)
	outShape := permShape(p.zShape, p.zPerm)
	if l.bias != nil {
		block := l.biasBlock(outShape)
		for i := range z {
			z[i] += block[i%len(block)]
		}
	}
	last := outShape[len(outShape)-1]
	y := z
	if l.act.needZ {
		y = make([]float32, len(z))
	}
	l.act.apply(z, y, last)
	out := tensor.MustFromFloat32(outShape, y)
	l.cache = nil
	if training {
		l.cache = &einsumCache{x: x, z: tensor.MustFromFloat32(outShape, z), y: out, xp: xp, kp: kp, m: p.m, k: p.k, n: p.n}
	}
	return out, nil
}

// Backward fills the kernel and bias gradients and returns dL/dx.
func (l *EinsumDense) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	c := l.cache
	if c == nil {
		return nil, layerErr(ErrShape, "EinsumDense", l.name, "Backward without a training Forward")
	}
	if !tensor.SameShape(dy.Shape, c.y.Shape) || dy.DType != tensor.Float32 {
		return nil, layerErr(ErrShape, "EinsumDense", l.name, "dy shape %s, want %s", tensor.ShapeString(dy.Shape), tensor.ShapeString(c.y.Shape))
	}
	p := l.plan(c.x.Shape[0])
	outShape := c.y.Shape
	dz := make([]float32, dy.Len())
	l.act.grad(c.z.Float32s(), c.y.Float32s(), dy.Float32s(), dz, outShape[len(outShape)-1])
	dprod := permuted(dz, outShape, p.zInv)
	dxp := make([]float32, p.m*p.k)
	gemm(false, true, p.m, p.k, p.n, 1, dprod, p.n, c.kp, p.n, 0, dxp, p.k)
	xpShape := permShape(p.xShape, p.xPerm)
	dx := permuted(dxp, xpShape, inversePerm(p.xPerm))
	if l.trainable {
		dkp := make([]float32, p.k*p.n)
		gemm(true, false, p.k, p.n, p.m, 1, c.xp, p.k, dprod, p.n, 0, dkp, p.n)
		kpShape := permShape(p.kShape, p.kPerm)
		copy(gradOf(l.kernel), permuted(dkp, kpShape, inversePerm(p.kPerm)))
		if l.bias != nil {
			gb := gradOf(l.bias)
			clear(gb)
			bs := l.bias.Value.Shape
			tail := outShape[len(outShape)-len(bs):]
			n := len(dz)
			for _, v := range tail {
				n /= v
			}
			blk := len(dz) / n
			sum := make([]float32, blk)
			for r := 0; r < n; r++ {
				for i, v := range dz[r*blk : (r+1)*blk] {
					sum[i] += v
				}
			}
			l.eachBiasIndex(tail, bs, func(i, j int) { gb[j] += sum[i] })
		}
	}
	return tensor.MustFromFloat32(c.x.Shape, slices.Clone(dx)), nil
}

func inversePerm(p []int) []int {
	out := make([]int, len(p))
	for i, v := range p {
		out[v] = i
	}
	return out
}

// Config returns the layer's Keras config in dialect d.
func (l *EinsumDense) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	os := make([]any, len(l.outCfg))
	for i, v := range l.outCfg {
		if v >= 0 {
			os[i] = v
		}
	}
	c["output_shape"] = os
	c["equation"] = l.equation
	c["activation"] = l.act.configName(d)
	c["bias_axes"] = nil
	if l.biasAxes != "" {
		c["bias_axes"] = l.biasAxes
	}
	c["kernel_initializer"] = initializerValue(l.kernelInit, "GlorotUniform", d)
	c["bias_initializer"] = initializerValue(l.biasInit, "Zeros", d)
	c["kernel_regularizer"] = l.kernelReg.value(d)
	c["bias_regularizer"] = l.biasReg.value(d)
	c["activity_regularizer"] = l.activityReg.value(d)
	c["kernel_constraint"] = l.kernelConstraint.value(d)
	c["bias_constraint"] = l.biasConstraint.value(d)
	if d == saved.Keras3 {
		c["quantization_config"] = nil
	}
	return c
}

// Graph returns the layer's TF ops as tf_keras writes them: Einsum on the kernel, the bias
// added with AddV2, then the activation.
func (l *EinsumDense) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("EinsumDense", l.name)
	}
	g := newGraphBuilder("EinsumDense", l.name)
	k := g.read("kernel", "einsum/Einsum")
	x := g.op("einsum/Einsum", "Einsum", []string{"$in", k}, tAttrs(map[string]saved.Attr{
		"equation": saved.StringAttr(l.equation), "N": saved.IntAttr(2)}))
	if l.bias != nil {
		b := g.read("bias", "add")
		x = g.fop("add", "AddV2", x, b)
	}
	g.activation(l.act, x)
	return g.graph(l, false)
}

// ParamCount returns the kernel's size (its letters' sizes) plus the bias's.
func (l *EinsumDense) ParamCount(in []int) (int64, error) {
	d, err := l.dims(in)
	if err != nil {
		return 0, err
	}
	var total int64
	shapes := [][]int{shapeOfLetters(l.ks, d)}
	if l.biasAxes != "" {
		shapes = append(shapes, l.biasShape(d))
	}
	for _, s := range shapes {
		n := int64(1)
		for _, v := range s {
			if n, err = product("EinsumDense", l.name, n, int64(v)); err != nil {
				return 0, err
			}
		}
		total += n
	}
	return total, nil
}
