package layers

import (
	"maps"
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// EmbeddingOptions are the optional arguments of NewEmbedding.
type EmbeddingOptions struct {
	Name string
	// MaskZero records mask_zero=True (index 0 is padding): the layer computes a mask that
	// the layers after it use as Keras does (see masking.go).
	MaskZero   bool
	InputShape []int
}

// Embedding is Keras's Embedding: integer indices (given as float32 values, which Keras casts
// to int32 by truncation) → rows of embeddings (input_dim, output_dim). Output shape: the
// input shape with output_dim appended. An index outside [0, input_dim) is an error, as in
// TF on CPU.
type Embedding struct {
	base
	inputDim, outputDim int
	maskZero            bool
	inputLength         any // tf_keras's input_length as read (kept for its config)
	init, reg, actReg   *kerasObject
	constraint          *kerasObject
	emb                 *Weight
	idx                 []int32 // cached by a training Forward
	xShape              []int
}

// NewEmbedding returns an Embedding of inputDim rows of outputDim values. It panics if
// either is below 1 (a programmer error).
func NewEmbedding(inputDim, outputDim int, opts ...EmbeddingOptions) *Embedding {
	o := optionsArg("NewEmbedding", opts)
	if inputDim < 1 || outputDim < 1 {
		panic("layers.NewEmbedding: input_dim and output_dim must be positive")
	}
	return &Embedding{base: newBase(o.Name, o.InputShape), inputDim: inputDim, outputDim: outputDim, maskZero: o.MaskZero}
}

func init() {
	register(Spec{Classes: []string{"Embedding"}, FromConfig: embeddingFromConfig,
		WeightNames: func(func(string) bool) []string { return []string{"embeddings"} }})
}

func embeddingFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	// input_dim is the vocabulary size here, not a declared input shape: keep it from the
	// base keys.
	c := maps.Clone(cfg)
	vocab, hasVocab := c["input_dim"]
	delete(c, "input_dim")
	r := newCfgReader("Embedding", c)
	r.dialect = d
	l := &Embedding{}
	r.readBase(&l.base)
	if l.declared != nil && slices.Contains(l.declared[1:], -1) {
		// tf_keras's Embedding records (None, None) when called on an Input: no declaration.
		l.declared = nil
	}
	if hasVocab {
		c["input_dim"] = vocab
	}
	if v, _, ok := r.get("input_dim"); !ok || v == nil {
		r.fail(ErrFormat, "missing input_dim")
	}
	if v, _, ok := r.get("output_dim"); !ok || v == nil {
		r.fail(ErrFormat, "missing output_dim")
	}
	l.inputDim = r.integer(1, 1, maxDim, "input_dim")
	l.outputDim = r.integer(1, 1, maxUnits, "output_dim")
	l.maskZero = r.boolean(false, "mask_zero")
	if v, _, ok := r.get("input_length"); ok {
		l.inputLength = v
		if n, ok := toInt(v, 1, maxDim); ok && l.declared == nil {
			l.declared = []int{-1, n}
		}
	}
	l.init = r.object("initializers", "embeddings_initializer", "init")
	l.reg = r.objectKept("regularizers", "embeddings_regularizer", "W_regularizer")
	l.actReg = r.objectKept("regularizers", "activity_regularizer")
	l.constraint = r.objectKept("constraints", "embeddings_constraint", "W_constraint")
	r.unsupportedIfSet("quantization_config", "lora_rank", "embeddings_quantizer")
	r.ignore("lora_alpha", "lora_enabled", "sparse")
	r.initialWeights()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Embedding".
func (l *Embedding) Class() string { return "Embedding" }

// InputDim returns the number of rows (the vocabulary size).
func (l *Embedding) InputDim() int { return l.inputDim }

// OutputDim returns the size of each row.
func (l *Embedding) OutputDim() int { return l.outputDim }

// MaskZero reports Keras's mask_zero.
func (l *Embedding) MaskZero() bool { return l.maskZero }

// ProducesMask reports whether Keras would compute a mask from the layer's input
// (mask_zero).
func (l *Embedding) ProducesMask() bool { return l.maskZero }

// SetTrainable sets Keras's layer.trainable.
func (l *Embedding) SetTrainable(t bool) { l.trainable = t; setTrainable(t, l.emb) }

// OutputShape appends output_dim to the input shape.
func (l *Embedding) OutputShape(in []int) ([]int, error) {
	if len(in) < 1 || slices.Min(in) < 1 {
		return nil, layerErr(ErrShape, "Embedding", l.name, "input shape %s: want known sizes", tensor.ShapeString(in))
	}
	out := append(slices.Clone(in), l.outputDim)
	if err := checkElems(out, "Embedding", l.name); err != nil {
		return nil, err
	}
	return out, nil
}

// ParamCount returns input_dim·output_dim.
func (l *Embedding) ParamCount(in []int) (int64, error) {
	if _, err := l.OutputShape(in); err != nil {
		return 0, err
	}
	return product("Embedding", l.name, int64(l.inputDim), int64(l.outputDim))
}

// Build creates embeddings (input_dim, output_dim).
func (l *Embedding) Build(in []int, rng *Rand) error {
	if _, err := l.ParamCount(in); err != nil {
		return err
	}
	w, err := newWeight("embeddings", l.trainable, []int{l.inputDim, l.outputDim}, rng)
	if err != nil {
		return layerErr(ErrShape, "Embedding", l.name, "embeddings: %v", err)
	}
	initWeight(w, l.init, "RandomUniform", l.inputDim, l.outputDim, rng)
	l.emb = w
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns embeddings.
func (l *Embedding) Weights() []*Weight { return weightList(l.emb) }

// Forward looks up each index's row.
func (l *Embedding) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Embedding", l.name); err != nil {
		return nil, err
	}
	xd := x.Float32s()
	idx := make([]int32, len(xd))
	for i, v := range xd {
		// Keras casts float indices to int32, truncating toward zero.
		t := math.Trunc(float64(v))
		if math.IsNaN(t) || t < 0 || t >= float64(l.inputDim) {
			return nil, layerErr(ErrShape, "Embedding", l.name, "index %v at position %d is outside [0, %d)", v, i, l.inputDim)
		}
		idx[i] = int32(t)
	}
	n := l.outputDim
	out := make([]float32, len(idx)*n)
	e := l.emb.Value.Float32s()
	for i, k := range idx {
		copy(out[i*n:(i+1)*n], e[int(k)*n:int(k+1)*n])
	}
	shape := append(slices.Clone(x.Shape), n)
	if training {
		l.idx, l.xShape = idx, slices.Clone(x.Shape)
	} else {
		l.idx, l.xShape = nil, nil
	}
	return tensor.MustFromFloat32(shape, out), nil
}

// Backward scatters dy into the rows' gradient; the indices get a zero gradient (Keras has
// none for integer inputs).
func (l *Embedding) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.xShape == nil {
		return nil, layerErr(ErrShape, "Embedding", l.name, "Backward without a training Forward")
	}
	want := append(slices.Clone(l.xShape), l.outputDim)
	if dy == nil || dy.DType != tensor.Float32 || !tensor.SameShape(dy.Shape, want) {
		return nil, layerErr(ErrShape, "Embedding", l.name, "dy shape mismatch, want %s", tensor.ShapeString(want))
	}
	if l.trainable {
		g := gradOf(l.emb)
		clear(g)
		n, d := l.outputDim, dy.Float32s()
		for i, k := range l.idx {
			row := g[int(k)*n : int(k+1)*n]
			for j, v := range d[i*n : (i+1)*n] {
				row[j] += v
			}
		}
	}
	return tensor.MustFromFloat32(slices.Clone(l.xShape), make([]float32, len(l.idx))), nil
}

// Config returns the layer's Keras config in dialect d.
func (l *Embedding) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["input_dim"] = l.inputDim
	c["output_dim"] = l.outputDim
	c["embeddings_initializer"] = initializerValue(l.init, "RandomUniform", d)
	c["embeddings_regularizer"] = l.reg.value(d)
	c["activity_regularizer"] = l.actReg.value(d)
	c["embeddings_constraint"] = l.constraint.value(d)
	c["mask_zero"] = l.maskZero
	if d == saved.Keras3 {
		c["quantization_config"] = nil
	} else {
		c["input_length"] = l.inputLength
		// tf_keras's Embedding always records an input shape.
		bs := []any{nil, l.inputLength}
		if l.declared != nil {
			bs = []any{}
			for _, v := range l.declared {
				if v < 0 {
					bs = append(bs, nil)
				} else {
					bs = append(bs, v)
				}
			}
		}
		c["batch_input_shape"] = bs
	}
	return c
}

// Graph returns the layer's TF ops: the indices cast to int32 (truncating, as Keras casts
// float inputs), then a GatherV2 of the embeddings' rows (TF fails on an index out of range,
// as Forward does).
func (l *Embedding) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("Embedding", l.name)
	}
	g := newGraphBuilder("Embedding", l.name)
	idx := g.op("Cast", "Cast", []string{"$in"}, map[string]saved.Attr{"SrcT": saved.TypeAttr(tensor.Float32),
		"DstT": saved.TypeAttr(tensor.Int32), "Truncate": saved.BoolAttr(false)})
	e := g.read("embeddings", "embedding_lookup")
	axis := g.int32s("embedding_lookup/axis", []int{}, 0)
	g.op("embedding_lookup", "GatherV2", []string{e, idx, axis}, map[string]saved.Attr{
		"Tparams": saved.TypeAttr(tensor.Float32), "Tindices": saved.TypeAttr(tensor.Int32),
		"Taxis": saved.TypeAttr(tensor.Int32), "batch_dims": saved.IntAttr(0)})
	return g.graph(l, false)
}
