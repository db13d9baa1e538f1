package layers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

var (
	// ErrFormat reports a layer config that is malformed: a key with the wrong JSON type, a
	// negative size, an impossible shape.
	ErrFormat = errcat.New("layers: invalid config", errcat.ErrFormat)
	// ErrUnsupported reports a valid Keras layer, option or value that kerasgo does not
	// implement (channels_first, dilation != 1, an unknown layer class, ...).
	ErrUnsupported = errcat.New("layers: unsupported", errcat.ErrUnsupported)
	// ErrShape reports an input whose shape does not fit the layer.
	ErrShape = errors.New("layers: shape mismatch")
)

// UnknownClassError is returned by FromConfig for a Keras class name that has no constructor
// in the registry. It wraps ErrUnsupported.
type UnknownClassError struct {
	Class string
}

func (e *UnknownClassError) Error() string {
	return fmt.Sprintf("layers: unknown layer class %q", e.Class)
}

// Unwrap returns ErrUnsupported.
func (e *UnknownClassError) Unwrap() error { return ErrUnsupported }

// layerErr formats an error about layer (class, name) wrapping sentinel.
func layerErr(sentinel error, class, name, format string, args ...any) error {
	who := class
	if name != "" {
		who = fmt.Sprintf("%s %q", class, name)
	}
	return &layerError{who: who, kind: sentinel, reason: fmt.Sprintf(format, args...)}
}

// layerError prints the layer first, then the kind without its package prefix:
// `layers: Conv2D "conv2d_1": unsupported: data_format "channels_first" ...`.
type layerError struct {
	who, reason string
	kind        error
}

func (e *layerError) Error() string {
	return "layers: " + e.who + ": " + strings.TrimPrefix(e.kind.Error(), "layers: ") + ": " + e.reason
}

func (e *layerError) Unwrap() error { return e.kind }
