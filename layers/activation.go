package layers

import (
	"fmt"
	"math"
	"sort"

	"github.com/kerasgo/kerasgo/saved"
)

// activationFunc is one Keras activation applied elementwise (softmax: over the last axis).
type activationFunc struct {
	// name is the name written to configs.
	name string
	// forward writes f(z) into y (len(y) == len(z)); last is the size of the last axis.
	// y may alias z unless needZ is set.
	forward func(z, y []float32, last int)
	// backward writes dL/dz into dz given dL/dy, y = f(z) and, when needZ, z. dz may alias dy.
	backward func(z, y, dy, dz []float32, last int)
	// needZ means backward needs the pre-activation z, so forward must not overwrite it.
	needZ bool
	// identity means forward and backward are copies (linear).
	identity bool
	// rows means forward works on whole rows of the last axis (softmax and its kin); the
	// others work element by element.
	rows bool
}

// activationNames lists the accepted activation names (Keras 2 and Keras 3 spellings).
var activations = map[string]*activationFunc{
	"linear":      {name: "linear", identity: true},
	"relu":        {name: "relu", forward: reluF, backward: reluB},
	"sigmoid":     {name: "sigmoid", forward: sigmoidF, backward: sigmoidB},
	"tanh":        {name: "tanh", forward: tanhF, backward: tanhB},
	"softmax":     {name: "softmax", forward: softmaxF, backward: softmaxB, rows: true},
	"elu":         {name: "elu", forward: eluF, backward: eluB},
	"selu":        {name: "selu", forward: seluF, backward: seluB, needZ: true},
	"softplus":    {name: "softplus", forward: softplusF, backward: softplusB},
	"softsign":    {name: "softsign", forward: softsignF, backward: softsignB, needZ: true},
	"swish":       swish,
	"silu":        swish,
	"gelu":        {name: "gelu", forward: geluF, backward: geluB, needZ: true},
	"exponential": {name: "exponential", forward: expF, backward: expB},

	"relu6":          {name: "relu6", forward: relu6F, backward: relu6B},
	"leaky_relu":     {name: "leaky_relu", forward: leakyReluF, backward: leakyReluB},
	"log_softmax":    {name: "log_softmax", forward: logSoftmaxF, backward: logSoftmaxB, rows: true},
	"hard_sigmoid":   hardSigmoid,
	"hard_silu":      hardSilu,
	"hard_swish":     hardSilu,
	"mish":           {name: "mish", forward: mishF, backward: mishB, needZ: true},
	"celu":           {name: "celu", forward: eluF, backward: eluB},
	"squareplus":     {name: "squareplus", forward: squareplusF, backward: squareplusB, needZ: true},
	"sparse_plus":    {name: "sparse_plus", forward: sparsePlusF, backward: sparsePlusB, needZ: true},
	"soft_shrink":    {name: "soft_shrink", forward: softShrinkF, backward: shrinkB, needZ: true},
	"hard_shrink":    {name: "hard_shrink", forward: hardShrinkF, backward: shrinkB, needZ: true},
	"tanh_shrink":    {name: "tanh_shrink", forward: tanhShrinkF, backward: tanhShrinkB, needZ: true},
	"hard_tanh":      {name: "hard_tanh", forward: hardTanhF, backward: hardTanhB, needZ: true},
	"log_sigmoid":    {name: "log_sigmoid", forward: logSigmoidF, backward: logSigmoidB},
	"sparse_sigmoid": {name: "sparse_sigmoid", forward: sparseSigmoidF, backward: sparseSigmoidB, needZ: true},
	"sparsemax":      {name: "sparsemax", forward: sparsemaxF, backward: sparsemaxB, needZ: true, rows: true},
}

// swish is x·sigmoid(x): tf_keras writes it "swish", Keras 3 "silu" (configName).
var swish = &activationFunc{name: "swish", forward: swishF, backward: swishB, needZ: true}

// configName is the activation's name as dialect d writes it.
func (a *activationFunc) configName(d saved.Dialect) string {
	if a == swish && d == saved.Keras3 {
		return "silu"
	}
	if a == hardSigmoidTFK {
		return "hard_sigmoid"
	}
	return a.name
}

// Activations returns the activation names kerasgo implements, sorted.
func Activations() []string {
	out := make([]string, 0, len(activations))
	for k := range activations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lookupActivation resolves an activation name ("" and "None" mean linear).
func lookupActivation(name string) (*activationFunc, error) {
	if name == "" {
		name = "linear"
	}
	if a, ok := activations[name]; ok {
		return a, nil
	}
	if why, ok := activationRefusals[name]; ok {
		return nil, fmt.Errorf("%w: activation %q (%s)", ErrUnsupported, name, why)
	}
	return nil, fmt.Errorf("%w: activation %q", ErrUnsupported, name)
}

// parseActivation reads the "activation" config value: a name, or a Keras 3 function object
// {"class_name": "function", "config": "softmax_v2", ...}.
func (r *cfgReader) activation(keys ...string) *activationFunc {
	if len(keys) == 0 {
		keys = []string{"activation"}
	}
	v, k, ok := r.get(keys...)
	if !ok || v == nil {
		return activations["linear"]
	}
	var name string
	switch x := v.(type) {
	case string:
		name = x
	case map[string]any:
		name, _ = x["config"].(string)
		if name == "" {
			c, _ := x["config"].(map[string]any)
			name, _ = c["name"].(string)
		}
		switch name {
		case "log_softmax_v2":
			name = "log_softmax"
		case "softmax_v2":
			name = "softmax"
		case "linear_v2":
			name = "linear"
		}
	}
	a, err := lookupActivation(name)
	if why, ok := activationRefusals[name]; ok && err != nil {
		r.fail(ErrUnsupported, "%s %s (%s)", k, jsonValue(v), why)
		return activations["linear"]
	}
	if err != nil || name == "" {
		r.fail(ErrUnsupported, "%s %s", k, jsonValue(v))
		return activations["linear"]
	}
	if a == hardSigmoid && r.dialect == saved.Keras2 {
		// tf_keras's hard_sigmoid is clip(0.2x+0.5, 0, 1); Keras 3's is relu6(x+3)/6.
		return hardSigmoidTFK
	}
	return a
}

func (a *activationFunc) apply(z, y []float32, last int) {
	if a.identity {
		if &y[0] != &z[0] {
			copy(y, z)
		}
		return
	}
	a.forward(z, y, last)
}

func (a *activationFunc) grad(z, y, dy, dz []float32, last int) {
	if a.identity {
		if len(dy) > 0 && &dz[0] != &dy[0] {
			copy(dz, dy)
		}
		return
	}
	a.backward(z, y, dy, dz, last)
}

// reluF and reluB work on the bit patterns so that they have no data-dependent branches
// (random signs would make the branch predictor miss half the time).
func reluF(z, y []float32, _ int) {
	y = y[:len(z)]
	if maxWindowAsm && len(z) >= 8 {
		g := len(z) / 8
		reluTo8(&y[0], &z[0], g)
		z, y = z[g*8:], y[g*8:]
	}
	reluGo(z, y)
}

// reluGo is reluF in Go (the reference of reluTo8).
func reluGo(z, y []float32) {
	y = y[:len(z)]
	for i, v := range z {
		b := math.Float32bits(v)
		y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31)) // negative (and -0) → +0
	}
}

func reluB(_, y, dy, dz []float32, _ int) {
	dy = dy[:len(y)]
	dz = dz[:len(y)]
	for i, v := range y {
		// y = relu(z) >= 0; its bits as int32 are > 0 exactly when y > 0.
		m := uint32((0 - int32(math.Float32bits(v))) >> 31)
		dz[i] = math.Float32frombits(math.Float32bits(dy[i]) & m)
	}
}

func sigmoid32(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}

func sigmoidF(z, y []float32, _ int) { sigmoidSlice(z, y) }

func sigmoidB(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		dz[i] = dy[i] * v * (1 - v)
	}
}

func tanhF(z, y []float32, _ int) { tanhSlice(z, y) }

func tanhB(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		dz[i] = dy[i] * (1 - v*v)
	}
}

func softmaxF(z, y []float32, last int) {
	if last <= 0 || softmaxRows(z, y, last) {
		return
	}
	for o := 0; o+last <= len(z); o += last {
		zr, yr := z[o:o+last], y[o:o+last]
		m := zr[0]
		for _, v := range zr[1:] {
			m = max(m, v)
		}
		inv := 1 / expSubSum(zr, yr, m)
		for i := range yr {
			yr[i] *= inv
		}
	}
}

func softmaxB(_, y, dy, dz []float32, last int) {
	if last <= 0 {
		return
	}
	for o := 0; o+last <= len(y); o += last {
		yr, dyr, dzr := y[o:o+last], dy[o:o+last], dz[o:o+last]
		var s float32
		for i, v := range yr {
			s += v * dyr[i]
		}
		for i, v := range yr {
			dzr[i] = v * (dyr[i] - s)
		}
	}
}

func eluF(z, y []float32, _ int) {
	for i, v := range z {
		if v > 0 {
			y[i] = v
		} else {
			y[i] = float32(math.Expm1(float64(v)))
		}
	}
}

func eluB(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		if v > 0 {
			dz[i] = dy[i]
		} else {
			dz[i] = dy[i] * (v + 1)
		}
	}
}

const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

func seluF(z, y []float32, _ int) {
	for i, v := range z {
		if v > 0 {
			y[i] = seluScale * v
		} else {
			y[i] = float32(seluScale * seluAlpha * math.Expm1(float64(v)))
		}
	}
}

func seluB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		if v > 0 {
			dz[i] = dy[i] * seluScale
		} else {
			dz[i] = dy[i] * float32(seluScale*seluAlpha*math.Exp(float64(v)))
		}
	}
}

func softplusF(z, y []float32, _ int) {
	for i, v := range z {
		x := float64(v)
		y[i] = float32(math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))))
	}
}

func softplusB(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		// f'(z) = sigmoid(z) = 1 - exp(-softplus(z)).
		dz[i] = dy[i] * float32(-math.Expm1(-float64(v)))
	}
}

func softsignF(z, y []float32, _ int) {
	for i, v := range z {
		y[i] = v / (1 + float32(math.Abs(float64(v))))
	}
}

func softsignB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		d := 1 + float32(math.Abs(float64(v)))
		dz[i] = dy[i] / (d * d)
	}
}

func swishF(z, y []float32, _ int) {
	swishSlice(z, y) // y does not alias z (needZ)
}

func swishB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		s := sigmoid32(v)
		dz[i] = dy[i] * (s + v*s*(1-s))
	}
}

func geluF(z, y []float32, _ int) {
	for i, v := range z {
		x := float64(v)
		y[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
	}
}

func geluB(z, _, dy, dz []float32, _ int) {
	for i, v := range z {
		x := float64(v)
		cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
		pdf := math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
		dz[i] = dy[i] * float32(cdf+x*pdf)
	}
}

func expF(z, y []float32, _ int) { expSlice(z, y) }

func expB(_, y, dy, dz []float32, _ int) {
	for i, v := range y {
		dz[i] = dy[i] * v
	}
}
