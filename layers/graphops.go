package layers

import (
	"fmt"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ops appends the TF ops of the activation applied to x and returns the result's reference
// (x itself for linear). The op types are those TF's own graph has for the Keras activation:
// a kernel where TF has one (Relu, Relu6, Elu, Selu, Softplus, Softsign, Sigmoid, Tanh,
// Softmax, LogSoftmax, LeakyRelu, Exp), otherwise the elementwise ops of its formula.
func (a *activationFunc) ops(g *graphBuilder, x string) (string, error) {
	kernel := map[string]string{
		"relu": "Relu", "relu6": "Relu6", "elu": "Elu", "selu": "Selu", "softplus": "Softplus",
		"softsign": "Softsign", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax",
		"log_softmax": "LogSoftmax", "exponential": "Exp",
	}
	if a.identity {
		return x, nil
	}
	if k, ok := kernel[a.name]; ok {
		return g.fop(k, k, x), nil
	}
	switch a {
	case activations["leaky_relu"]:
		return g.op("LeakyRelu", "LeakyRelu", []string{x}, map[string]saved.Attr{
			"T": saved.TypeAttr(tensor.Float32), "alpha": saved.FloatAttr(leakyAlpha)}), nil
	case swish:
		s := g.fop("Sigmoid", "Sigmoid", x)
		return g.fop("mul", "Mul", x, s), nil
	case activations["gelu"]:
		// 0.5·x·(1 + erf(x/√2)).
		d := g.fop("truediv", "RealDiv", x, g.scalar("Cast/x", 1.4142135623730951))
		e := g.fop("Erf", "Erf", d)
		s := g.fop("add", "AddV2", g.scalar("add/x", 1), e)
		h := g.fop("mul", "Mul", g.scalar("mul/x", 0.5), x)
		return g.fop("mul_1", "Mul", h, s), nil
	case hardSigmoid, hardSilu:
		// relu6(x + 3) / 6, times x for hard_silu.
		r := g.fop("Relu6", "Relu6", g.fop("add", "AddV2", x, g.scalar("add/y", 3)))
		h := g.fop("truediv", "RealDiv", r, g.scalar("truediv/y", 6))
		if a == hardSilu {
			return g.fop("mul", "Mul", x, h), nil
		}
		return h, nil
	case hardSigmoidTFK:
		// clip(0.2·x + 0.5, 0, 1).
		m := g.fop("mul", "Mul", g.scalar("mul/x", 0.2), x)
		s := g.fop("add", "AddV2", m, g.scalar("add/y", 0.5))
		lo := g.fop("clip_by_value/Minimum", "Minimum", s, g.scalar("clip_by_value/Minimum/y", 1))
		return g.fop("clip_by_value", "Maximum", lo, g.scalar("clip_by_value/y", 0)), nil
	case activations["mish"]:
		t := g.fop("Tanh", "Tanh", g.fop("Softplus", "Softplus", x))
		return g.fop("mul", "Mul", x, t), nil
	case activations["celu"]:
		return g.fop("Elu", "Elu", x), nil
	case activations["squareplus"]:
		sq := g.fop("Sqrt", "Sqrt", g.fop("add", "AddV2", g.fop("Square", "Square", x), g.scalar("add/y", squareplusB4)))
		return g.fop("truediv", "RealDiv", g.fop("add_1", "AddV2", x, sq), g.scalar("truediv/y", 2)), nil
	case activations["tanh_shrink"]:
		return g.fop("sub", "Sub", x, g.fop("Tanh", "Tanh", x)), nil
	case activations["hard_tanh"]:
		lo := g.fop("clip_by_value/Minimum", "Minimum", x, g.scalar("clip_by_value/Minimum/y", 1))
		return g.fop("clip_by_value", "Maximum", lo, g.scalar("clip_by_value/y", -1)), nil
	case activations["log_sigmoid"]:
		sp := g.fop("Softplus", "Softplus", g.fop("Neg", "Neg", x))
		return g.fop("Neg_1", "Neg", sp), nil
	case activations["sparse_sigmoid"]:
		h := g.fop("mul", "Mul", g.scalar("mul/x", 0.5), g.fop("add", "AddV2", x, g.scalar("add/y", 1)))
		lo := g.fop("clip_by_value/Minimum", "Minimum", h, g.scalar("clip_by_value/Minimum/y", 1))
		return g.fop("clip_by_value", "Maximum", lo, g.scalar("clip_by_value/y", 0)), nil
	case activations["soft_shrink"], activations["hard_shrink"]:
		// where(|x| > t, x - sign·t (soft) or x (hard), 0).
		cond := g.fop("Greater", "Greater", g.fop("Abs", "Abs", x), g.scalar("Greater/y", shrinkThreshold))
		v := x
		if a == activations["soft_shrink"] {
			sg := g.fop("Sign", "Sign", x)
			v = g.fop("sub", "Sub", x, g.fop("mul", "Mul", sg, g.scalar("mul/y", shrinkThreshold)))
		}
		return g.fop("SelectV2", "SelectV2", cond, v, g.fop("ZerosLike", "ZerosLike", x)), nil
	case activations["sparse_plus"]:
		// where(x <= -1, 0, where(x >= 1, x, (x+1)²/4)).
		q := g.fop("truediv", "RealDiv", g.fop("Square", "Square", g.fop("add", "AddV2", x, g.scalar("add/y", 1))), g.scalar("truediv/y", 4))
		hi := g.fop("SelectV2", "SelectV2", g.fop("GreaterEqual", "GreaterEqual", x, g.scalar("GreaterEqual/y", 1)), x, q)
		return g.fop("SelectV2_1", "SelectV2", g.fop("LessEqual", "LessEqual", x, g.scalar("LessEqual/y", -1)), g.fop("ZerosLike", "ZerosLike", x), hi), nil
	}
	return "", fmt.Errorf("%w: activation %q has no TF graph form in kerasgo", ErrUnsupported, a.name)
}
