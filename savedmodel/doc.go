// Package savedmodel reads and writes TensorFlow SavedModel directories, the format of
// tf_keras model.save(dir), Keras 3 model.export(dir), TF Serving and tf.saved_model.
//
// Save writes a Keras Sequential or Functional model (the neutral saved.Model, config in the
// tf_keras dialect) as a SavedModel that TensorFlow serves and tf_keras reloads as a Keras
// model. Load
// reads the model back from SavedModels written by tf_keras or by kerasgo, and the weights of a
// Keras 3 export. Inspect lists the signatures and variables of any SavedModel (TF1 or TF2).
//
//	err := savedmodel.Save("newmodel", m)       // m *saved.Model
//	m, err := savedmodel.Load("newmodel")
//	info, err := savedmodel.Inspect("half_plus_two/00000123")
//
// # Format
//
// A directory (TF core/protobuf/saved_model.proto, meta_graph.proto, saved_object_graph.proto;
// tf_keras saving/legacy/saved_model/*):
//
//	saved_model.pb       SavedModel{schema 1, [MetaGraphDef tagged "serve"]}
//	keras_metadata.pb    tf_keras SavedMetadata: one node per Keras object (id, path, JSON)
//	variables/variables.{index,data-00000-of-00001}   a tensor bundle (package checkpoint)
//	assets/              empty
//
// What Save puts in the MetaGraphDef, and who reads it:
//
//   - graph_def.library: one FunctionDef, __inference_signature_wrapper_1, that computes the
//     model from its input and one resource argument per model variable, with real TF ops
//     lowered from the config (ReadVariableOp, Conv2D, BiasAdd, Relu/Softmax/Sigmoid/Tanh/...,
//     MaxPool/AvgPool, FusedBatchNormV3 with is_training=false (or the batch-norm formula for
//     rank-2 input), Reshape, MatMul, Identity for Dropout).
//   - graph_def.node: a VarHandleOp (shared_name = the variable's name, "conv_1/kernel") and
//     ReadVariableOp per model variable, the serving Placeholder serving_default_<input>, a
//     StatefulPartitionedCall of the function (output StatefulPartitionedCall:0), and a saver:
//     saver_filename, save/SaveV2, save/RestoreV2, one AssignVariableOp per variable and the
//     NoOp save/restore_all. saver_def names them. The C++ loader (TF Serving,
//     saved_model_cli run) and TF1 sessions run this graph.
//   - signature_def["serving_default"]: input key = the InputLayer's name, output key = the
//     last layer's name, as tf_keras names them; method tensorflow/serving/predict. A
//     Functional model has one input per Keras input (keyed by its InputLayer's name) and
//     one output per Keras output (keyed by its layer's name); the function takes them and
//     returns them in name order, as TF flattens keyword arguments and dicts
//     (StatefulPartitionedCall:0, :1, ... in output-name order).
//   - Functional models: the function's body wires the calls of the layers as the config's
//     inbound_nodes say (every call of a layer is its graph, under "<model>/<layer>/" with
//     TF's unique names, reading the input references "$in", "$in1", ... of that call); a
//     shared layer's calls read the same variable arguments. The object graph is tf_keras's:
//     root "_tf_keras_network" whose layer-<i> children include the "_tf_keras_input_layer"
//     objects, so the variables keys are tf_keras's (layer_with_weights-<j>/...).
//   - Nested models (a Sequential or Functional model used as a layer, one input and one
//     output) as tf_keras writes them: an object "_tf_keras_sequential" / "_tf_keras_network"
//     under the holder's layer-<i> (and layer_with_weights-<j>) edges with its own layers below
//     it, each layer's variables named "<layer>/<weight>"; root.variables lists every variable
//     in model.variables order, which gives the nested variables tf_keras's checkpoint keys
//     (variables/<n>/.ATTRIBUTES/VARIABLE_VALUE); keras_metadata.pb has a node for the nested
//     model (its config and model_config) and for each of its layers; its ops are emitted
//     inline under "<model>/<nested model>/<layer>/". tf_keras numbers a nested model's calls
//     in a Functional config from 1 (node 0 is its own graph).
//   - object_graph_def: the TF2 object graph tf.saved_model.load, Keras 3 TFSMLayer and
//     tf_keras.models.load_model read: the root user object "_tf_keras_sequential" with
//     children layer_with_weights-<j> and layer-<i> (as tf_keras's Sequential tracks its
//     layers), layer objects "_tf_keras_layer" with their SavedVariables, and root.signatures
//     (a signature_map) whose serving_default is a bare concrete function bound to the model
//     variables.
//   - keras_metadata.pb: the metadata JSON tf_keras revives layers from (class_name, config,
//     build_input_shape, ...), the model config and training_config.
//   - variables/: every model variable under its object-graph key
//     (layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE, ...), the tf_keras (2.11+)
//     optimizer state (optimizer/_iterations, optimizer/_learning_rate,
//     optimizer/_variables/<n>: m and v per trainable variable) and _CHECKPOINTABLE_OBJECT_GRAPH.
//
// The optimizer is in the checkpoint's object graph but not in the SavedObjectGraph. That is
// deliberate: tf_keras's loader attaches every SavedObjectGraph child of the root to the
// model, so an optimizer there would be revived as a plain object and then discarded by
// compile() (which is why tf_keras itself does not restore optimizer state from a SavedModel);
// left only in the checkpoint, its values wait as a deferred restoration and land in the
// optimizer that load_model's compile() creates. tf_keras then continues training exactly
// where kerasgo (or the tf_keras run kerasgo read) stopped.
//
// All protos are marshaled deterministically: the same model gives the same bytes.
//
// # Saving
//
// A crash (kill -9, power loss) at any point of Save leaves the old model or the new one at
// dir, never a mix and never nothing, and the next Save, Load or Inspect of dir cleans up:
//
//  1. Save takes dir's lock (flock on PARENT/.NAME.lock, see internal/atomicfile); another
//     save to dir, in this process or another, fails at once with ErrBusy and changes
//     nothing. Then it recovers what an interrupted save left (step 5).
//  2. An existing dir is replaced only if it holds nothing kerasgo would not write back:
//     saved_model.pb (or .pbtxt, .cpb), keras_metadata.pb, fingerprint.pb, an empty assets/
//     and assets.extra/, and in variables/ only variables.index and
//     variables.data-NNNNN-of-NNNNN. Anything else (a vocabulary under assets/, a note under
//     variables/, a file beside) makes Save fail with ErrUnsupported naming it.
//  3. The new directory is built as PARENT/.NAME.tmp-HHHHHHHHHHHH (every file synced, the
//     variables written by package checkpoint), synced, then renamed to
//     .NAME.tmp-HHHHHHHHHHHH.new: a ".new" directory is complete.
//  4. It is swapped with dir in one step (Linux renameat2 RENAME_EXCHANGE), so dir always
//     exists; where that is not available, dir is renamed to .NAME.tmp-HHHHHHHHHHHH.old and
//     the ".new" one to dir. The old directory is then removed.
//  5. Recovery, with dir's lock held: if dir is missing, the newest ".new" directory is
//     renamed to dir (the save is finished), else the newest ".old" one (rolled back); then
//     every .NAME.tmp-* directory is removed. Load and Inspect recover first unless a save
//     holds the lock; Recover does it on request.
//
// Checked by killing a save at every step (savedmodel/durable_test.go, in both swap modes) and
// by having TensorFlow load what each kill left (compat/durable_test.go).
//
// # Compatibility
//
// Checked against TensorFlow 2.21, tf_keras 2.21 and Keras 3.15 by the compat suite
// (compat/savedmodel_test.go):
//
//   - Serving, eleven fixture models: saved_model_cli show --all lists serving_default with
//     DT_FLOAT and Go's shapes and key names; saved_model_cli run,
//     tf.saved_model.load(dir).signatures["serving_default"] (by keyword and positionally) and
//     keras.layers.TFSMLayer and the C++ loader TF Serving uses (TF_LoadSessionFromSavedModel,
//     restoring through the SaverDef) give Go's predictions within 1.8e-7.
//   - tf_keras.models.load_model returns a Sequential with tf_keras's summary, predictions
//     within 1e-7, evaluate() equal, and the optimizer state: a training step in tf_keras on
//     a Go-written SavedModel equals, bit for bit, the step tf_keras takes on the live model
//     the state came from; a model trained in Go, saved, and stepped once more in Go and in
//     tf_keras agrees within 6e-8. Adam, Adam(amsgrad), SGD(momentum), RMSprop(centered,
//     momentum) and legacy Adam (the TF 2.3 corpus model) keep every slot exactly.
//   - Functional models (compat/functional_savedmodel_test.go): the 85 Functional
//     fixtures (two inputs and two outputs, a residual branch, a shared layer, every merge
//     layer, seven nested models, ...) are served by tf.saved_model.load and the TF1 session
//     loader, revived by tf_keras load_model as Functional (or Sequential) models and called
//     by TFSMLayer (single-input ones) with the fixtures' tf_keras predictions within 1.2e-7;
//     signature keys and shapes and variables keys equal those of tf_keras's own SavedModels
//     of the same models. Nested models (compat/nested_savedmodel_test.go): saved_model_cli
//     show lists them; tf_keras restores the Adam state exactly and a step from Go's directory
//     equals a step from the .h5 Go read.
//   - Read: tf_keras SavedModels from TF 2.3 (metadata inside saved_model.pb, legacy
//     optimizer slots) to 2.21 (exact weights, slots, configs), Keras 3 exports (weights),
//     TF1 and TF2 non-Keras SavedModels (signatures and variables, via Inspect).
//
// # Limitations
//
//   - Save writes Sequential and Functional models, float32 only, whose layers carry their graph
//     (saved.Layer.Graph, filled by package model from each layer class's Graph): the
//     writer knows no layer class, it translates each layer's ops. A saved.Model read from a
//     file by a codec has no graphs: Save fails with ErrUnsupported "layer X: no graph";
//     go through package model (model.FromSaved(m) then ToSaved, or model.Load then Save).
//   - The optimizer state is written in the layout of the optimizer tf_keras will rebuild
//     from the training config: the 2.11+ one (optimizer._variables, in each class's slot
//     creation order: Adam/AdamW, SGD, RMSprop checked), or the legacy optimizer_v2 one
//     (.OPTIMIZER_SLOT keys) when the config lacks is_legacy_optimizer, as files from tf_keras
//     2.10 and earlier do. Other optimizer classes use the generic order (each slot kind in
//     turn), not checked against TF.
//   - tf.saved_model.load (which does not create the optimizer) logs warnings that the
//     optimizer's checkpoint values were not used.
//   - Functional models: every call of a shared layer uses the layer's one graph, so its calls
//     must have the input shapes it was built for; a layer's only output is used (no
//     tensor_index > 0). Keras 3's
//     TFSMLayer calls the serving function positionally, so it can call only single-input
//     models (as with tf_keras's own SavedModels).
//   - No fingerprint.pb is written (TF only logs that it is missing).
//   - The object graph has no per-layer call functions: layers are revived from their config,
//     as tf_keras does for built-in layers; custom layers cannot be revived from a kerasgo
//     SavedModel.
//   - Load needs Keras metadata for the architecture; other SavedModels can be listed with
//     Inspect. saved_model.pbtxt is read; the chunked saved_model.cpb (> 2 GiB) is not.
package savedmodel
