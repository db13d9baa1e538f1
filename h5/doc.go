// Package h5 reads and writes Keras models in HDF5: the legacy full-model file that
// model.save("x.h5") writes (tf_keras 2.x, Keras 1/2, and the Keras 3 variant), the
// weights-only file of save_weights("x.h5"), the Keras 3 .weights.h5, and the Keras 3 .keras
// zip archive (config.json, metadata.json, model.weights.h5). Models pass through the
// neutral saved.Model; this package never imports model or layers.
//
// The one-call API: Load (any Keras HDF5 file, or a .keras zip), LoadKeras, List (every
// dataset of any HDF5 file), SaveModel, SaveWeights, SaveWeightsKeras3 and SaveKeras.
// ReadWeightsFile and SaveLegacyWeights / SaveKeras3Weights read and write the weights of
// either layout as stored (groups and weight names, or the Keras 3 object tree), for models
// whose layer classes need not be known. ReadOptions holds the reading limits; its zero value
// is safe.
//
// # Format
//
// Legacy full model (FORMATS.md §1; tf_keras saving/legacy/hdf5_format.py): root attributes
// keras_version and backend (vlen UTF-8), model_config and training_config (vlen ASCII JSON);
// group model_weights with layer_names, one group per layer holding weight_names and the
// datasets they name ("conv_1/conv_1/kernel:0"), top_level_model_weights; group
// optimizer_weights with weight_names and the optimizer's variables in its own order. Weights
// are restored by position, as Keras does. String-list attributes whose NumPy fixed-width
// size exceeds 64512 bytes are split into name0, name1, ... (fixed-length, NULL-padded).
//
// Keras 3 weights (FORMATS.md §2.2; keras/src/saving/saving_lib.py): layers/<path>/vars/<i>
// where path is the snake_case class name de-duplicated in model.layers order (conv2d,
// conv2d_1, ...), optimizer/vars/<i> (iteration, learning_rate, then the slots), vars for the
// model itself; each vars group carries the object's name in attribute "name".
//
// Keras 3 sharded weights (save_weights(path, max_shard_size=...); sharded.go): a manifest
// NAME.weights.json and shards NAME_00000.weights.h5, ... each holding part of that tree.
// Load, List, ReadWeightsFile and Audit read a manifest by copying its shards, one variable
// at a time, into one temporary file read as a .weights.h5; SaveWeightsKeras3Sharded and
// SaveKeras3WeightsSharded write them as Keras 3.15 does (manifest bytes, file names, and
// which shard gets each group and variable), replacing the whole set durably: shards under
// temporary names, then the manifest as the commit point, then the install, manifest last.
//
// Keras 3 files name a layer's variables only by index, and a weights file without config
// names a layer only by its path. The short weight names ("kernel", "moving_mean"), which of
// them are non-trainable, and the class of a path ("max_pooling2d_1" → MaxPooling2D) come from
// the class facts the layer implementations register with package saved
// (saved.RegisterClass), as image formats register with package image. Package layers
// registers them when it is linked (importing package model does so). A program that imports
// h5 without layers, or a file with a class kerasgo does not implement (LSTM, Embedding, ...),
// gets what the file holds: positional names "0", "1", ... and, without config, no class
// (saved.Layer.Path keeps the path, so the layer is written back to the same place).
//
// Optimizer state is returned in saved.Optimizer with Keras 3 slot names. The slot layouts
// (Adam: momentum and velocity interleaved per variable; RMSprop: one block per slot kind; ...)
// are those of the optimizers' build methods in tf_keras/optimizers and keras/src/optimizers.
//
// # Compatibility
//
// Reads every layout written by Keras 1.1 through 3.15 that the corpus in ../shared/fixtures
// holds: fixed- and variable-length, ASCII and UTF-8, scalar and array string attributes;
// empty float64 weight_names for weightless layers; weights-only files without keras_version;
// tf_keras ≤2.10 optimizer_v2 slots (iter, all m, all v), tf_keras 2.11+ slots (iteration, m/v
// interleaved), Keras 3 slots; tf_keras 2.13–2.15 .keras files (_layer_checkpoint_dependencies
// and the Windows "layers\dense" group names); .keras files that are really HDF5. Writes what
// tf_keras 2.21 and Keras 3.15 write (verified by the compat suite: the files load in
// tf_keras.models.load_model / keras.saving.load_model with identical predictions, weights,
// optimizer variables and one further training step).
//
// # Limitations
//
// HDF5 goes through libhdf5 (cgo, gonum.org/v1/hdf5 plus a small adapter); a build without
// cgo returns ErrUnsupported from every function. Calls into libhdf5 are serialised by one
// mutex. libhdf5 1.10 can crash on some corrupt files: before libhdf5 sees a file this
// package checks the superblock, every version-1 object header whose attributes it reads, and
// every variable-length string reference against its global heap collection, in pure Go; other
// corruptions are left to libhdf5's own checks. Optimizer slot layouts are known for Adam,
// AdamW, Adamax, Lamb, SGD, RMSprop, Adagrad, Adadelta, Ftrl and Lion; others (and Keras 2.0–2.3
// standalone optimizer weights) are reported as ErrUnsupported. A standalone Keras 3
// .weights.h5 does not record the layer order: layers with weights are ordered from the
// optimizer's slot shapes when possible, otherwise by path, and weightless layers follow.
// Datasets must be numeric; bfloat16 is read and written as Keras 3 stores it (2-byte opaque
// data with a "dtype" attribute "bfloat16").
// Reading is bounded by the file (bounds.go): a dataset may not declare more than its stored
// bytes can hold (deflate expands at most 1032-fold; other filters, external and virtual
// storage are unsupported), and chunked data is read in pieces. A .keras file's stored
// model.weights.h5 is read in place through a file driver of this package for libhdf5 1.10
// and 1.12; with other versions, and for a compressed member, it is extracted to an unlinked
// temporary file (member.go).
// Saves are durable: the temporary file is fsynced before the rename (about 0.15 s for a
// 100 MB model on the reference machine), which Keras does not do. A save holds a lock on its
// path (DIR/.NAME.lock): a second save to the same path meanwhile fails with ErrBusy, and the
// next save removes the temporary files a killed one left (see DESIGN.md, "Durability").
// SaveKerasDir writes its three files one by one, each atomically but not as a set.
package h5
