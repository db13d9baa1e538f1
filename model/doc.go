// Package model is kerasgo's Keras Sequential model: building a stack of layers, Keras's
// automatic layer names, Summary (byte for byte as tf_keras 2.21 and Keras 3.15 print it),
// Predict, the model's Keras JSON config in both dialects, weights, the conversion to and
// from the neutral saved form (package saved), and Save/Load dispatch over the codecs
// (h5, checkpoint, savedmodel) as Keras chooses a format from a path.
//
// # Building a model
//
// A model is a list of layers (package layers). The input shape is given as Keras allows:
//
//   - on the first layer (Keras's input_shape argument), e.g.
//     layers.Conv2DOptions{InputShape: []int{32, 32, 3}};
//   - with an Input pseudo-layer first, like keras.Input: NewSequential(Input(32, 32, 3), ...);
//   - later with (*Sequential).Build(32, 32, 3), like model.build((None, 32, 32, 3));
//   - or not at all: the model is then built by the first Predict, from the input's shape.
//
// When the input shape is known, every layer is built (its weights created) as it is added.
//
// # Layer names
//
// A layer added without a name gets Keras's automatic name: the snake-case class name
// (layers.DefaultBaseName) for the first such layer of that class, then "_1", "_2", ... for
// the next ones (conv2d, conv2d_1, batch_normalization, dropout, dropout_1, ...). Keras keeps
// these counters per Python session; kerasgo keeps them per model, which is what Keras
// produces for a model built in a fresh session (and what the fixtures hold). Unlike Keras, an
// automatic name never collides with a name given explicitly: a name already used in the
// model is skipped. Two layers with the same explicit name are an error, as in Keras.
//
// The model's own name defaults to "sequential" (Keras numbers further models of one session
// sequential_1, sequential_2, ...; kerasgo has no session, so every model is "sequential"
// unless SetName is called).
//
// # Configs
//
// Config writes the model's JSON as model.to_json() does in tf_keras 2.21 (saved.Keras2) or
// Keras 3.15 (saved.Keras3). FromConfig (alias FromJSON) reads either dialect, detected from
// the content, including what older files hold: the list-style Sequential config of Keras
// 1/2.0, batch_input_shape or batch_shape, dtype as a string or a DTypePolicy dict,
// build_input_shape. Config keys kerasgo does not know are not dropped silently: each one is
// reported as a line in (*Sequential).Warnings.
//
// # Saving
//
// ToSaved and FromSaved convert to and from the neutral saved form; Save, SaveWeights, Load
// and LoadWeights pick the codec as Keras does (see save.go).
package model
