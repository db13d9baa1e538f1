package h5

// The h5 tests read Keras 3 files as a program that links the layer implementations does:
// their class facts (weight names, classes of layer paths) are registered with package saved.
import _ "github.com/kerasgo/kerasgo/layers"
