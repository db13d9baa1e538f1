// Package model is kerasgo's Keras model (Sequential and Functional): building a stack or a
// graph of layers, Keras's automatic layer names, Summary (byte for byte as tf_keras 2.21
// and Keras 3.15 print it), Predict, Compile/Fit/Evaluate, the model's Keras JSON config in
// both dialects, weights, the conversion to and from the neutral saved form (package saved),
// and Save/Load dispatch over the codecs (h5, checkpoint, savedmodel) as Keras chooses a
// format from a path. The optimizers, losses, metrics and callbacks are in packages of those
// names; model keeps their names (Adam, SGD, RMSprop, ModelCheckpoint, EarlyStopping, ...)
// as aliases.
//
// # Using a model Keras saved
//
// Three calls: Load reads the model, Predict runs it, Save writes it in any format.
// Inputs are float32 tensors with the batch first: read with npy.ReadFile (arrays NumPy
// saved), made with tensor.Zeros or tensor.FromFloat32, or converted from gonum with package
// tensor/matconv. Option structs (PredictOptions, FitOptions, LoadOptions, ...) are optional
// arguments whose zero value means Keras's defaults; Example_predictFromH5 shows the whole
// program:
//
//	m, err := model.Load("model.h5")
//	...
//	y, err := m.Predict(x) // or m.Predict(x, model.PredictOptions{BatchSize: 256})
//	...
//	err = m.Save("model.keras")
//
// # Building a model
//
// A model is a list of layers (package layers). The input shape is given as Keras allows:
//
//   - on the first layer (Keras's input_shape argument), e.g.
//     layers.Conv2DOptions{InputShape: []int{32, 32, 3}};
//   - with an Input pseudo-layer first, like keras.Input: NewSequential(Input(32, 32, 3), ...);
//   - later with (*Model).Build(32, 32, 3), like model.build((None, 32, 32, 3));
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
// reported as a line in (*Model).Warnings. A model follows the call semantics of the dialect
// it was read in where tf_keras and Keras 3 differ (CallDialect: Keras 3 gives a recurrent
// layer called with initial_state no Keras mask; tf_keras masks it).
//
// # Saving and loading
//
// ToSaved and FromSaved convert to and from the neutral saved form (package saved);
// AdoptSaved is FromSaved taking the saved tensors as the model's weights instead of copying
// them, which is what Load does: the layers are built without weight data
// (layers.Rand.NoData) and adopt the tensors the codec read, so a load's peak memory is the
// weights once plus small overhead (a 25M-parameter .h5: 95.45 MiB allocated for 95.4 MiB of
// weights, BenchmarkLoadH5). Save and SaveWeights choose the format from the path as Keras
// does:
//
//	m.Save("m.h5"), "m.hdf5"         tf_keras full-model HDF5 (Keras 2 dialect)     h5.SaveModel
//	m.Save("m.keras")                Keras 3 zip archive                           h5.SaveKeras
//	m.Save("dir")                    TensorFlow SavedModel (Keras 2 dialect)       savedmodel.Save
//	m.SaveWeights("w.weights.h5")    Keras 3 weights file                          h5.SaveWeightsKeras3
//	m.SaveWeights("w.h5"), "w.hdf5"  tf_keras weights HDF5                         h5.SaveWeights
//	m.SaveWeights("ckpt/w")          TF checkpoint (with optimizer state)          checkpoint.SaveKerasWeights
//
// SaveWeightsWith takes SaveWeightsOptions: MaxShardBytes writes Keras 3 sharded weights
// ("w.weights.json" and w_00000.weights.h5, ...; h5.SaveWeightsKeras3Sharded) or splits a
// checkpoint's data files; NumShards writes a checkpoint's data files in parallel.
//
// Load and LoadWeights detect the format from the content (Detect): the HDF5 signature, the
// zip signature, saved_model.pb, a checkpoint prefix or a directory holding a "checkpoint"
// file. Load needs a file with an architecture; LoadWeights takes weights from any of them.
//
// Weights are matched as Keras matches them: by position over the layers that have weights
// (Keras 3 weights files: per class, in order), or by name with LoadWeightsOptions.ByName.
// Every count and shape is checked before anything is set: a mismatch is a
// *WeightMismatchError naming the layer and the expected and found shapes, and the model is
// left unchanged. LoadWeights from a TF checkpoint also restores the optimizer state (slots,
// iterations, learning rate) into a compiled model, as tf_keras's load_weights does; the
// slots are checked with the weights, all or nothing.
//
// Configs read from files are untrusted: FromConfig bounds the parameters a config may
// allocate (LoadOptions.MaxParams, counted with layers.ParamCount before each layer is built)
// and the config size (LoadOptions.MaxConfigBytes); Load and LoadSaved also bound each tensor
// read (LoadOptions.MaxTensorBytes).
package model
