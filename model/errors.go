package model

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/savedmodel"
	"github.com/kerasgo/kerasgo/tensor"
)

// The four categories every error from Load, LoadWeights, Save and SaveWeights falls into,
// whichever package found the problem: errors.Is(err, ErrFormat) holds for h5.ErrFormat,
// checkpoint.ErrFormat, savedmodel.ErrFormat and the other codecs' sentinels of that kind
// (which still match too), and likewise for the others.
var (
	// ErrFormat reports an invalid model config or saved model: a corrupt file, malformed
	// JSON, a missing key, a value of the wrong type.
	ErrFormat = errcat.ErrFormat
	// ErrUnsupported reports a valid Keras model, layer or file format that kerasgo does not
	// handle (a Functional model, an unknown layer class, a codec not available).
	ErrUnsupported = errcat.ErrUnsupported
	// ErrChecksum reports stored data that does not match its stored checksum (a TF
	// checkpoint tensor or table block, a .keras zip member).
	ErrChecksum = errcat.ErrChecksum
	// ErrMismatch reports a valid file whose weights do not fit the model: a different number
	// of layers or weights, or a weight of a different shape (see WeightMismatchError).
	ErrMismatch = errcat.ErrMismatch
)

var (
	// ErrShape reports an input or weight whose shape does not fit the model.
	ErrShape = errcat.ErrShape
	// ErrNotBuilt reports an operation that needs the model's input shape before it is known.
	ErrNotBuilt = errors.New("model not built")
	// ErrNoConfig reports a weights-only save (no architecture) where a whole model is needed.
	ErrNoConfig = errors.New("no model config (weights only)")
)

// WeightMismatchError reports weights that do not fit a layer of the model: a different
// number of weights, or a weight of a different shape. It wraps ErrMismatch and ErrShape.
type WeightMismatchError struct {
	Layer string // the model's layer name
	// Source names where the weights came from (the file's layer name, or "" for a list).
	Source string
	// Weight is the weight's name ("kernel") or index; empty for a count mismatch.
	Weight string
	// Expected and Found are the shapes, or for a count mismatch one-element slices holding
	// the counts.
	Expected, Found []int
	Count           bool // a count mismatch rather than a shape mismatch
}

func (e *WeightMismatchError) Error() string {
	src := ""
	if e.Source != "" && e.Source != e.Layer {
		src = fmt.Sprintf(" (from %q)", e.Source)
	}
	if e.Count {
		return fmt.Sprintf("layer %q%s: expected %d weights, found %d", e.Layer, src, e.Expected[0], e.Found[0])
	}
	return fmt.Sprintf("layer %q%s: weight %s: expected shape %s, found %s", e.Layer, src, e.Weight, kerasShape(e.Expected), kerasShape(e.Found))
}

// Unwrap returns ErrMismatch and ErrShape.
func (e *WeightMismatchError) Unwrap() []error { return []error{ErrMismatch, ErrShape} }

// errMismatch is ErrMismatch that also matches ErrShape, which weight mismatches matched
// before ErrMismatch existed.
var errMismatch error = &multiError{[]error{ErrMismatch, ErrShape}}

// multiError prints its first error and matches all of them.
type multiError struct{ errs []error }

func (e *multiError) Error() string   { return e.errs[0].Error() }
func (e *multiError) Unwrap() []error { return e.errs }

// kerasShape spells a shape as Keras prints it: (None, 32, 32, 3), (10,), () (see
// tensor.ShapeString).
func kerasShape(s []int) string { return tensor.ShapeString(s) }

// opError is the error of Load, LoadWeights, Save and SaveWeights: "model: load PATH: what".
// The path is printed once: the message of a codec error about the same file is shortened
// to what follows its file name.
type opError struct {
	op, path string
	err      error
}

func (e *opError) Error() string {
	return "model: " + e.op + " " + e.path + ": " + detail(e.path, e.err)
}

func (e *opError) Unwrap() error { return e.err }

// opErr wraps err (nil stays nil) for op on path; an error already naming path is returned as is.
func opErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var oe *opError
	if errors.As(err, &oe) && oe.path == path {
		return err
	}
	return &opError{op: op, path: path, err: err}
}

// detail is err's message without what the opError prefix already says: the codec's package
// prefix, the file when it is path (or else the file relative to path), and model's own prefix.
func detail(path string, err error) string {
	// file is the file err names; tail what follows it (": ..." or " at offset N: ...").
	var file, tail string
	switch e := err.(type) {
	case *h5.Error:
		inner := strings.TrimPrefix(e.Err.Error(), "h5: ")
		if fe, ok := fsDetail(path, e.Err); ok {
			inner = fe
		}
		file, tail = e.File, ": "+inner
		if e.Object != "" {
			tail = ": " + e.Object + tail
		}
	case *checkpoint.Error:
		file, tail = e.File, strings.TrimPrefix(e.Error(), "checkpoint: "+e.File)
	case *savedmodel.Error:
		file, tail = e.Path, strings.TrimPrefix(e.Error(), "savedmodel: "+e.Path)
	case *apiError:
		return detail(path, e.err)
	case *fs.PathError, *os.LinkError:
		if d, ok := fsDetail(path, err); ok {
			return d
		}
		return err.Error()
	default:
		s := err.Error()
		for _, p := range []string{"model: ", path + ": "} {
			s = strings.TrimPrefix(s, p)
		}
		return s
	}
	switch {
	case file == path || file == "":
		return strings.TrimPrefix(strings.TrimPrefix(tail, ":"), " ")
	case strings.HasPrefix(file, path+string(filepath.Separator)):
		return file[len(path)+1:] + tail
	case strings.HasPrefix(file, path):
		return filepath.Base(file) + tail // a checkpoint prefix's index or data file
	}
	return file + tail
}

// apiError is the error of the model's other operations (Predict, Fit, Evaluate,
// TrainOnBatch, Compile, SetWeights, FromConfig, ...): "model: op: what", with one "model: "
// however deep the error was wrapped inside the package.
type apiError struct {
	op  string
	err error
}

func (e *apiError) Error() string {
	return "model: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "model: ")
}

func (e *apiError) Unwrap() error { return e.err }

// apiErr wraps err (nil stays nil) as the error of op; an error that already names its
// operation (an apiError or opError) is returned as is.
func apiErr(op string, err error) error {
	switch err.(type) {
	case nil:
		return nil
	case *apiError, *opError:
		return err
	}
	return &apiError{op: op, err: err}
}

// within wraps err as "what: reason", dropping the "model: " prefix of err's message (the
// operation's error adds it once).
func within(what string, err error) error {
	return &wrapped{msg: what + ": " + strings.TrimPrefix(err.Error(), "model: "), err: err}
}

// layerReason is err's message without what a `layer "name" (Class): ` prefix already says:
// the model and layers package prefixes, the class and the name.
func layerReason(name, class string, err error) string {
	s := err.Error()
	for _, p := range []string{"model: ", "layers: ", fmt.Sprintf("%s %q: ", class, name), class + ": "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// fsDetail is the message of a file system error about path, or about a temporary file
// beside it, without path: "no such file or directory", "open .m.h5.tmp-1: not a directory",
// "rename .m.h5.tmp-1 over it: file exists".
func fsDetail(path string, err error) (string, bool) {
	switch e := err.(type) {
	case *fs.PathError:
		switch {
		case e.Path == path:
			return e.Err.Error(), true
		case filepath.Dir(e.Path) == filepath.Dir(path):
			return e.Op + " " + filepath.Base(e.Path) + ": " + e.Err.Error(), true
		}
	case *os.LinkError:
		if e.New == path {
			return e.Op + " " + filepath.Base(e.Old) + " over it: " + e.Err.Error(), true
		}
	}
	return "", false
}

// layerErr wraps err, a problem with the model's layer name (class class, at index i of the
// config when name is empty), as `layer "name" (Class): reason`, leaving out what err repeats:
// the layers package prefix, the class and the name.
func layerErr(i int, name, class string, err error) error {
	s := layerReason(name, class, err)
	who := fmt.Sprintf("layer %q", name)
	if name == "" {
		who = fmt.Sprintf("layer %d", i)
	}
	var uc *layers.UnknownClassError
	if !errors.As(err, &uc) {
		who += " (" + class + ")"
	}
	return &wrapped{msg: who + ": " + s, err: withShape(err)}
}

// withShape returns err, made to match ErrShape too when it is a layers.ErrShape error.
func withShape(err error) error {
	if errors.Is(err, layers.ErrShape) && !errors.Is(err, ErrShape) {
		return &multiError{[]error{err, ErrShape}}
	}
	return err
}

// wrapped prints msg and unwraps to err.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }
