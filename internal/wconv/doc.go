// Package wconv converts a model's weights between Keras's weight formats without building
// the model: the tf_keras HDF5 layout (save_weights("x.h5"), and model_weights of a model
// .h5), Keras 3's (.weights.h5, the weights of a .keras archive) and the object-based TF
// checkpoint (tf_keras save_weights(prefix)). It backs `kerasgo convert --weights-only`, so
// the weights of a model kerasgo cannot run (layer classes it does not implement, Functional
// and nested models) can still change format.
//
// Each format keys weights by its own rules, and the conversion needs only what those rules
// use:
//
//   - tf_keras HDF5: one group per layer of model.layers, loaded by position (the layers with
//     weights in order, each layer's variables in layer.weights order); a nested model's
//     group holds its layers' variables as nested.trainable_weights +
//     nested.non_trainable_weights, named after the layer that holds them.
//   - Keras 3: layers/<key>/vars/<i>, where key is the layer's snake-case class name
//     de-duplicated in model.layers order (conv2d, conv2d_1); a nested model's layers under
//     layers/<key>/layers/; each vars group records the layer's name.
//   - TF checkpoint: layer_with_weights-<j>/<attribute> below the model (and below each nested
//     model), where attribute is the variable's name for Keras's layers ("kernel").
//
// So a layer's Keras 3 key needs the classes of the whole layers list, which neither a
// tf_keras weights file nor a checkpoint records; the position of a layer needs more than a
// Keras 3 weights file records (layers of different classes); a nested model's HDF5 order
// needs to know which variables are trainable. A model config (model.to_json() of either
// Keras, or config.json of a .keras archive) supplies what is missing: only its layers list
// is read (names, classes, trainable flags, nesting). A .h5 model file and a .keras archive
// carry one. When the target's layout cannot be derived, Convert fails naming the layer and
// what is missing; the file it would write could load wrongly.
//
// Assumptions: a checkpoint lists a layer's variables in creation order, and a layer.weights
// order puts those created trainable first; kerasgo knows which are non-trainable for the
// classes it implements and for BatchNormalization-style statistics (moving_mean, ...), and
// otherwise takes creation order as layer.weights order. A checkpoint key is the attribute
// holding the variable, taken to be the variable's name (as in every Keras layer; a custom
// layer that stores a variable under another attribute name does not convert to a checkpoint
// correctly). Variables of a layer's sub-objects (an RNN's cell) convert between files of the
// same format, and to tf_keras HDF5 from a checkpoint, and from Keras 3 when one object holds
// them all; between the other formats when the layer's class is known and declares the
// sub-object (saved.ClassFacts.WeightObject and WeightScope: "cell", "lstm_cell"), otherwise
// their checkpoint attribute and Keras 3 key are not derived from HDF5 names.
//
// Optimizer state is not converted. A Keras 3 weights file without a config gives the order
// of its layers only within one class (its optimizer's slot shapes could tell more; not used).
package wconv
