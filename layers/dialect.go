package layers

import (
	"fmt"

	"github.com/kerasgo/kerasgo/saved"
)

// keras3OnlyActivations are the activation names Keras 3.15 has and tf_keras 2.21 does not
// (tf_keras.activations.get fails on them).
var keras3OnlyActivations = map[string]bool{
	"celu": true, "hard_shrink": true, "hard_silu": true, "hard_swish": true, "hard_tanh": true,
	"log_sigmoid": true, "soft_shrink": true, "sparse_plus": true, "sparse_sigmoid": true,
	"sparsemax": true, "squareplus": true, "tanh_shrink": true,
}

// CheckDialect returns an ErrUnsupported error when l's config cannot be written in dialect
// d so that that Keras loads it: in tf_keras's dialect an activation only Keras 3 has
// (MobileNetV3Small as Keras 3 builds it uses Activation("hard_swish")).
func CheckDialect(l Layer, d saved.Dialect) error {
	if d != saved.Keras2 {
		return nil
	}
	cfg := l.Config(d)
	for _, k := range []string{"activation", "recurrent_activation"} {
		if name, _ := cfg[k].(string); keras3OnlyActivations[name] {
			return fmt.Errorf("%w: layer %q (%s): %s %q exists only in Keras 3; tf_keras could not load the config (save in Keras 3's format, .keras)",
				ErrUnsupported, l.Name(), l.Class(), k, name)
		}
	}
	return nil
}
