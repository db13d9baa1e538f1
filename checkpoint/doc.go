// Package checkpoint reads and writes TensorFlow tensor_bundle checkpoints (the V2 checkpoint
// format) in pure Go: the .index table and .data-NNNNN-of-NNNNN shards written by
// tf.train.Checkpoint, tf.train.Saver, SavedModel variables/ folders and tf_keras
// model.save_weights(prefix); the folder's `checkpoint` state file; and the object-based
// naming tf_keras uses for Keras weights and optimizer state.
//
// Four levels:
//
//   - Keras weights: SaveKerasWeights / LoadKerasWeights convert between a saved.Model and
//     what tf_keras 2.x writes and reads with model.save_weights(prefix) /
//     model.load_weights(prefix).
//   - Bundles: NewWriter / Writer.Add / Writer.Close and Open / Reader.Entries /
//     Reader.Read, for any TF checkpoint. Tensors are streamed: Add writes a tensor's bytes
//     at once, Read reads one tensor straight into its own memory and verifies its CRC-32C.
//   - Object graphs: Reader.ObjectGraph and WriteObjects, for the object-based checkpoint of
//     any object structure (nested models, layers kerasgo does not implement).
//   - The state file: ReadState, WriteState, Latest, and Manager (as
//     tf.train.CheckpointManager: numbered checkpoints, max_to_keep, timestamps).
//
// # Format
//
// A bundle with prefix P is P.index, an immutable sorted table (see internal/table) mapping
// the empty key to a BundleHeaderProto (num_shards, endianness, version) and every tensor key
// to a BundleEntryProto (dtype, shape, shard_id, offset, size, masked crc32c), and the data
// shards P.data-00000-of-0000N holding the tensors' bytes, packed without padding, in the
// order they were added:
//
//	numeric tensors   raw little-endian row-major bytes (bool: one byte)
//	string tensors    varint64 length of each element, fixed32 masked CRC-32C of the
//	                  lengths (each taken as a 4-byte little-endian integer; present even
//	                  for an empty tensor), then the bytes
//	                  of every element
//
// An entry's crc32c covers exactly its bytes (for strings: the lengths as 4-byte integers,
// the stored length checksum, then the element bytes), masked as LevelDB masks CRCs.
//
// Object-based checkpoints (TF2) add the key _CHECKPOINTABLE_OBJECT_GRAPH: a scalar string
// holding a serialized TrackableObjectGraph. Each variable is stored under
// <path>/.ATTRIBUTES/VARIABLE_VALUE, where <path> is the breadth-first path of local names
// from the root object ("." escaped as "..", "/" as ".S"). tf_keras saves a model's weights
// with the model as root: layer i of model.layers is child "layer-<i>", and a layer with
// weights is also "layer_with_weights-<j>", listed first, which is the path keys use. The
// tf_keras 2.11+ optimizer is child "optimizer" with "_variables" (iteration counter, then
// every slot in creation order), "_iterations", "_learning_rate", "_index_dict" and one list
// per slot kind ("_momentums", "_velocities", "_velocity_hats", SGD's "momentums", RMSprop's
// "_velocities", "_momentums", "_average_gradients"). Slot variables are keyed
// optimizer/_variables/<n>/.ATTRIBUTES/VARIABLE_VALUE and named <Optimizer>/<slot>/<layer>/
// <weight>. Keras functions the model has run are tracked as empty objects
// (train_tf_function and train_function, test_function, predict_function, in the order they
// first ran), then the root lists itself as "root". Data are added in node order; the
// object graph comes last.
//
// The `checkpoint` file is a text-format CheckpointState: model_checkpoint_path,
// all_model_checkpoint_paths (oldest first), all_model_checkpoint_timestamps and
// last_preserved_timestamp. Paths are relative to the folder when TF writes them.
//
// # Saving
//
// A bundle is two or more files, which no rename replaces together. A save to prefix P (folder
// D, base name B) keeps one whole checkpoint findable at every instant, and a crash at any
// point leaves the old or the new one loadable:
//
//  1. NewWriter takes P's lock (flock on D/.B.lock, see internal/atomicfile): another save to
//     P, in this process or another, fails at once with ErrBusy and changes nothing. Then it
//     recovers what an interrupted save to P left (step 6). SaveKerasWeights first checks
//     that D/checkpoint, if it exists, is a checkpoint state file: anything else of that
//     name (a user's file, a folder, a symlink) is not replaced and the save fails with
//     ErrUnsupported naming it.
//  2. The bundle is written under the temporary prefix T = D/.B.tmp-HHHHHHHHHHHH: shards as
//     T.part-NNNNN, renamed to T.data-NNNNN-of-NNNNN once synced, then the index as
//     T.index.part, synced and renamed to T.index. T is complete once T.index exists.
//  3. (SaveKerasWeights) The state file is rewritten to name T: from here until step 5,
//     tf.train.latest_checkpoint(D) finds the complete new bundle.
//  4. T is installed at P: P.index is removed (so P has no index rather than an index beside
//     other data), each T.data-* and then T.index is hard-linked (copied where hard links are
//     not supported) to a scratch name and renamed over P's file, so T stays whole; P's
//     shards of another shard count are removed.
//  5. A state file naming T is made to name P; SaveKerasWeights' final state file is the one
//     tf_keras writes (model_checkpoint_path and all_model_checkpoint_paths: B). T's files
//     are removed, T.index first.
//  6. Recovery, with P's lock held: a complete T (T.index present, its shards as long as its
//     entries need) is installed as in steps 4-5 if P has no index or the state file names
//     T, the newest first; every other D/.B.tmp-* file is removed. The next save to P does
//     it, and so does Open (hence LoadKerasWeights and every load through package model)
//     unless a save holds the lock; Recover does it on request.
//
// Files are synced before they are renamed, and folders after (WriterOptions.NoSync turns it
// off). The state file is written through internal/atomicfile (temporary file, sync, rename)
// under its own lock, D/.checkpoint.lock, which saves wait for. Manager records a new
// checkpoint in the state file before it deletes old ones, and lists each old one until its
// files are gone (index first), so a killed Record leaves nothing the next Record does not
// delete.
//
// Checked by killing saves at every step (checkpoint/crash_test.go: SaveKerasWeights, a
// re-sharded Writer, Manager, two workers' WriteShard and their MergeBundles) and by having
// TensorFlow read what each kill left (compat/durable_test.go).
//
// # Several data files, several writers
//
// WriterOptions.NumShards writes the data files in parallel, one goroutine each, every
// tensor going to the file given the fewest bytes so far (MaxShardBytes instead starts a new
// file when the current one is full). WriteShard and MergeBundles are the distributed save:
// each worker writes its tensors as a bundle of its own at WorkerPrefix (PREFIX_temp/
// part-0000W-of-0000N, as TensorFlow names them), and the chief merges the bundles as
// TensorFlow's MergeBundles does: data files renumbered worker by worker, hard-linked under a
// temporary prefix (never rewritten), the indexes merged into one, the result put in place
// as any save is (steps 4-6), then the workers' files removed, index first. The merged index
// is byte-identical to what tf.raw_ops.MergeV2Checkpoints writes for the same worker bundles
// (compat/merge_bundles_test.go). Copy rewrites a bundle tensor by tensor (resharding it):
// one tensor in memory at a time (TestCopyMemoryBounded: a 320 MiB copy peaks at about 53 MiB
// of heap).
//
// # Compatibility
//
// Read from TensorFlow's core/util/tensor_bundle/{tensor_bundle.cc, naming.cc},
// core/protobuf/{tensor_bundle, trackable_object_graph}.proto, python/checkpoint/
// {save_util, restore, checkpoint_management}.py, python/trackable/*, and tf_keras'
// engine/training.py, optimizers/optimizer.py. Checked against:
//
//   - byte identity: for every generator variant (testdata/formats: the seed CNN, no_bn,
//     wide, SGD with momentum), SaveKerasWeights given only the expected weights and
//     optimizer state writes the same .index, .data and `checkpoint` bytes as tf_keras 2.21
//     model.save_weights; TensorFlow's own SaveV2 writes the same bytes as Writer for every
//     dtype (compat suite); the table writer reproduces TF files of 1.4 to 2.21;
//   - the third-party corpus (TF 1.4 to 2.14): every bundle opens and every tensor reads
//     with its CRC verified, including a 2-shard bundle and Snappy-compressed indexes;
//   - real tf_keras: model.load_weights of Go's checkpoints consumes every value, predicts
//     identically, restores every Adam, AMSGrad, SGD, Nesterov, RMSprop and centered
//     RMSprop slot, and its next training step equals tf_keras' own.
//
// # Limitations
//
//   - Partitioned (sliced) variables are listed but Read returns ErrUnsupported; slice
//     entries (keys starting with a 0 byte) are not listed.
//   - Big-endian bundles and DT_VARIANT / DT_RESOURCE / quantized tensors: ErrUnsupported.
//   - The object graph records which Keras functions the model ran (fit, evaluate, predict)
//     and in which order; a saved.Model does not carry that, so KerasOptions.Functions
//     says it (default: the "train" function when the optimizer has state). It is the only
//     difference from tf_keras' bytes we know of, and restoring ignores those objects.
//   - Optimizers other than Adam, AdamW, SGD and RMSprop are written with a generic layout
//     (one list per slot kind); tf_keras' Adamax ("_m", "_u") and Nadam ("_u_product")
//     differ. Legacy (optimizer_v2) checkpoints are read (slot_variables references,
//     "iter"), not written.
//   - LoadKerasWeights cannot name weightless layers and leaves every layer's Class empty (the
//     checkpoint records neither); optimizer and model configs are not in a checkpoint and
//     are returned nil. Tracked children without variables (BatchNormalization's axis) are
//     written from saved.Layer.Tracked, which package model fills from the layer.
//   - While a save to an existing prefix moves its files into place (between removing the old
//     index and linking the new one) the prefix has no index: TensorFlow's load_weights(prefix)
//     then says "not found" (the state file names the complete new bundle meanwhile, and the
//     next kerasgo load or save of the prefix finishes the move). A Reader opened before a
//     save replaced the bundle reads its index, but data shards are opened on first Read: it
//     may then get ErrChecksum (never wrong values).
//   - A Manager save killed before its state file write leaves files of the next prefix,
//     removed when the next Save reuses that prefix; loads of other prefixes leave them.
package checkpoint
