package saved

import "github.com/kerasgo/kerasgo/tensor"

// LayerGraph is what a layer's implementation (package layers) declares about one call of the
// layer, for the codecs that need more than its weights: the shapes it was built for, whether
// its call takes Keras's training argument, and its inference computation as TensorFlow graph
// operations. Package model fills it (Layer.Graph) when it writes a model it can run; a codec
// that reads a file leaves it nil. Codecs read these facts and never switch on a class name.
type LayerGraph struct {
	// InputShapes holds the shape of each input without the batch dimension (one entry for a
	// single-input layer).
	InputShapes [][]int
	// OutputShape is the output's shape without the batch dimension.
	OutputShape []int
	// Training reports that the layer's call takes a training argument (Dropout,
	// BatchNormalization): SavedModel writes its call functions with it.
	Training bool
	// Ops is the layer's inference computation in TF graph ops, in an order where every op
	// comes after the ops it reads. Output names the result (see Op.Inputs for references).
	Ops    []Op
	Output string
	// MoreOutputs name the call's outputs after the first (a recurrent layer's return_state:
	// its states), MoreOutputShapes their shapes without the batch dimension.
	MoreOutputs      []string
	MoreOutputShapes [][]int
	// MoreMasked is how many of MoreOutputs, from the first, carry the output's Keras mask
	// too (PassesMask): Bidirectional's backward output with merge_mode None.
	MoreMasked int
	// InitialState is the graph of the layer's calls that pass initial_state (its InputShapes
	// list the states after the main input) when the layer's other calls do not: a recurrent
	// layer called both ways. The writer lowers each call with the graph taking as many
	// inputs as the call passes. nil when all calls are alike.
	InitialState *LayerGraph
	// MaskOps compute the Keras mask of the layer's output (Embedding with mask_zero,
	// Masking), a bool tensor of the output's shape less its last axis, from "$in" and the
	// layer's Ops; MaskOutput names it. PassesMask reports that the output carries the mask
	// of the layer's input on. Ops of a layer using the mask read it as "$mask".
	MaskOps    []Op
	MaskOutput string
	PassesMask bool
	// SubLayers describe the layer's sub-layers that own its variables (saved.SubLayer), for
	// the SavedModel metadata tf_keras's loader reads for them.
	SubLayers []SubLayerGraph
}

// SubLayerGraph is the Keras metadata of one sub-layer of a layer: its attribute name in the
// object graph ("_query_dense"), class, tf_keras config and input shape without the batch
// (the batch and leading dimensions kerasgo does not fix are -1).
type SubLayerGraph struct {
	Attr, Class string
	Config      map[string]any
	InputShape  []int
}

// Op is one TensorFlow graph operation of a layer's computation.
type Op struct {
	// Name is the op's name inside the layer's scope ("Conv2D", "batchnorm/add"); the codec
	// prefixes the model's and the layer's names and makes names unique as TF does.
	Name string
	// Type is the TF op type ("Conv2D", "BiasAdd", "ReadVariableOp", "Const", ...).
	Type string
	// Inputs are references:
	//
	//	"$in"        the layer's input (its first one); "$in1", "$in2", ... its second, third, ...
	//	"$var:NAME"  the resource handle of the layer's weight NAME (for ReadVariableOp)
	//	"NAME"       output 0 of the op NAME of this layer; "NAME:1" its output 1
	Inputs []string
	// Attrs are the op's attributes.
	Attrs map[string]Attr
	// OutArg is the name of the op's first output argument in its registration ("output",
	// "product", "y", ...), which references inside FunctionDefs need.
	OutArg string
}

// AttrKind says which field of an Attr holds the value.
type AttrKind int

// Attribute kinds, as TF's AttrValue oneof.
const (
	AttrType   AttrKind = iota + 1 // Type: a tensor dtype
	AttrString                     // S
	AttrBool                       // B
	AttrFloat                      // F
	AttrInt                        // I
	AttrInts                       // Ints
	AttrTensor                     // Tensor: a constant (float32, int32 or int64 here)
	AttrShape                      // Ints: a shape, -1 for an unknown dimension
)

// Attr is one attribute value of an Op.
type Attr struct {
	Kind   AttrKind
	Type   tensor.DType
	S      string
	B      bool
	F      float32
	I      int64
	Ints   []int64
	Tensor *tensor.Tensor
}

// TypeAttr, StringAttr, BoolAttr, FloatAttr, IntAttr, IntsAttr, TensorAttr and ShapeAttr make
// attribute values.
func TypeAttr(t tensor.DType) Attr     { return Attr{Kind: AttrType, Type: t} }
func StringAttr(s string) Attr         { return Attr{Kind: AttrString, S: s} }
func BoolAttr(b bool) Attr             { return Attr{Kind: AttrBool, B: b} }
func FloatAttr(f float32) Attr         { return Attr{Kind: AttrFloat, F: f} }
func IntAttr(i int64) Attr             { return Attr{Kind: AttrInt, I: i} }
func IntsAttr(v ...int64) Attr         { return Attr{Kind: AttrInts, Ints: v} }
func TensorAttr(t *tensor.Tensor) Attr { return Attr{Kind: AttrTensor, Tensor: t} }
func ShapeAttr(dims ...int64) Attr     { return Attr{Kind: AttrShape, Ints: dims} }
