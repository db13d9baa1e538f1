package h5

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Keras 3 sharded weights (keras/src/saving/saving_lib.py, ShardedH5IOStore): save_weights
// with max_shard_size writes NAME.weights.json, a manifest
//
//	{"metadata": {"total_size": BYTES.0}, "weight_map": {"/layers/dense/vars": [SHARD, ...]}}
//
// (json.dumps with indent=4, no final newline; a vars group holding a single variable maps to
// the shard name itself, not a list), and the shards NAME_00000.weights.h5, NAME_00001...,
// each a Keras 3 weights file holding part of the tree. A new shard starts when the variable
// about to be written would take the current one past the maximum size (the size counted as
// elements × dtype bytes); the vars group of an object is created, with its "name"
// attribute, in the shard that is current when Keras reaches the object, and again (without
// the attribute) in every later shard that receives its variables.

// ManifestSuffix ends the name of a Keras 3 sharded weights manifest.
const ManifestSuffix = ".weights.json"

// maxShards bounds the shards one manifest may name.
const maxShards = 100000

// IsShardManifest reports whether path names a Keras 3 sharded weights manifest (by its
// name, as Keras chooses the reader).
func IsShardManifest(path string) bool {
	return strings.HasSuffix(strings.ToLower(path), ManifestSuffix)
}

// ManifestPath is the manifest Keras 3 writes for save_weights(path, max_shard_size=...):
// path itself when it ends in ".weights.json", the same name with ".json" for ".weights.h5".
func ManifestPath(path string) (string, error) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ManifestSuffix):
		return path, nil
	case strings.HasSuffix(lower, ".weights.h5"):
		return path[:len(path)-len(".h5")] + ".json", nil
	}
	return "", formatf("sharded weights need a name ending in %s (or .weights.h5)", ManifestSuffix)
}

// shardBase is Keras's base name of the shards of manifest: the stem with ".weights" removed.
func shardBase(manifest string) string {
	stem := strings.TrimSuffix(filepath.Base(manifest), filepath.Ext(manifest))
	return strings.ReplaceAll(stem, ".weights", "")
}

// shardName is the file name of shard i.
func shardName(base string, i int) string { return fmt.Sprintf("%s_%05d.weights.h5", base, i) }

// SaveWeightsKeras3Sharded writes m's Keras 3 weights (and optimizer variables) as Keras 3's
// save_weights(path, max_shard_size=maxShardBytes/2**30) does: the manifest ManifestPath(path)
// and its shards beside it, each holding at most maxShardBytes of variables. A variable larger
// than maxShardBytes is refused, as Keras refuses it.
//
// The set is replaced as a whole: the shards are written and synced under temporary names,
// then the manifest (the commit point), then the old manifest is removed, the shards renamed
// into place and the new manifest last, and the old set's extra shards removed. A save or
// load that finds a committed but uninstalled set finishes installing it; other temporaries
// are removed. A reader never sees a manifest naming shards of another save.
func SaveWeightsKeras3Sharded(path string, m *saved.Model, maxShardBytes int64) error {
	if m == nil {
		return fileErr("save", path, formatf("nil model"))
	}
	return saveSharded(path, maxShardBytes, func(s k3sink) error { return emitKeras3(s, m) })
}

// SaveKeras3WeightsSharded is SaveKeras3Weights as Keras 3 sharded weights: the object tree
// root split into shards of at most maxShardBytes, as SaveWeightsKeras3Sharded writes them.
func SaveKeras3WeightsSharded(path string, root *Keras3Object, maxShardBytes int64) error {
	if root == nil {
		return fileErr("save", path, formatf("no root object"))
	}
	return saveSharded(path, maxShardBytes, func(s k3sink) error { return emitKeras3Object(s, "", root, 0) })
}

// saveSharded writes the sharded set emit fills (see SaveWeightsKeras3Sharded).
func saveSharded(path string, maxShardBytes int64, emit func(k3sink) error) error {
	manifest, err := ManifestPath(path)
	if err != nil {
		return fileErr("save", path, err)
	}
	if maxShardBytes <= 0 {
		return fileErr("save", manifest, formatf("maximum shard size %d: must be positive", maxShardBytes))
	}
	l, err := atomicfile.Acquire(manifest, false)
	if err != nil {
		return fileErr("save", manifest, err)
	}
	defer l.Release()
	if err := recoverShards(manifest); err != nil {
		return fileErr("save", manifest, nameErrno(err))
	}
	old := oldShards(manifest)
	tmp := atomicfile.TempPrefix(manifest)
	s := &shardSink{tmp: tmp, base: shardBase(manifest), max: maxShardBytes, index: map[string]int{}}
	err = s.write(emit)
	if err == nil {
		err = s.commit(manifest)
	}
	if err != nil {
		s.removeTemps()
		return fileErr("save", manifest, nameErrno(err))
	}
	if err := installShards(manifest, tmp); err != nil {
		return fileErr("save", manifest, nameErrno(err))
	}
	keep := map[string]bool{}
	for i := range s.files {
		keep[shardName(s.base, i)] = true
	}
	dir := filepath.Dir(manifest)
	for _, name := range old {
		if !keep[name] {
			atomicfile.Step("remove stale shard")
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
	return nil
}

// shardSink is the k3sink of a sharded save: it follows ShardedH5IOStore.
type shardSink struct {
	tmp, base string
	max       int64

	files []string // temporary shard paths, in order
	h     *h5file
	gm    *groupMaker
	size  int64 // bytes in the current shard
	total int64

	entry     string // the current vars group
	entryName string
	entryInit bool // the current vars group exists in the current shard

	keys  []string       // weight_map keys in insertion order
	index map[string]int // key → index in vals
	vals  [][]string     // the shards of each key
	list  []bool         // the key's value is a list (written more than once)
}

func (s *shardSink) write(emit func(k3sink) error) (err error) {
	defer lockLib()()
	defer func() {
		if cerr := s.closeShard(); err == nil {
			err = cerr
		}
	}()
	if err := s.newShard(); err != nil {
		return err
	}
	return emit(s)
}

func (s *shardSink) newShard() error {
	p := fmt.Sprintf("%s.shard-%05d", s.tmp, len(s.files))
	atomicfile.Step("create shard")
	s.files = append(s.files, p)
	h, err := createLib(p)
	if err != nil {
		return atObj(shardName(s.base, len(s.files)-1), err)
	}
	s.h, s.gm = h, &groupMaker{h: h, made: map[string]bool{}}
	s.entryInit = false
	return nil
}

func (s *shardSink) closeShard() error {
	if s.h == nil {
		return nil
	}
	err := s.h.close()
	s.h = nil
	if err != nil {
		return err
	}
	atomicfile.Step("sync shard")
	return atomicfile.SyncFile(s.files[len(s.files)-1])
}

func (s *shardSink) vars(vp, name string) error {
	s.entry, s.entryName, s.entryInit = vp, name, false
	if name == "" {
		return nil // created with the first variable, as Keras defers it
	}
	if err := s.gm.mk(vp); err != nil {
		return err
	}
	if err := s.h.writeVlenAttr(vp, attrName, []string{name}, true, true); err != nil {
		return atObj(attrPath(vp, attrName), err)
	}
	s.entryInit = true
	return nil
}

func (s *shardSink) set(vp string, i int, t *tensor.Tensor) error {
	if t == nil {
		return atObj(joinPath(vp, fmt.Sprint(i)), formatf("nil tensor"))
	}
	if vp != s.entry {
		return formatf("variable of %s written outside its vars group", vp)
	}
	n := int64(t.Len()) * int64(t.DType.Size())
	if t.DType == tensor.String {
		return atObj(joinPath(vp, fmt.Sprint(i)), unsupportedf("string variables in sharded weights"))
	}
	s.total += n
	if n > s.max {
		return atObj(joinPath(vp, fmt.Sprint(i)), unsupportedf("%d bytes, more than the maximum shard size %d (a variable is never split)", n, s.max))
	}
	s.size += n
	if s.size > s.max {
		if err := s.closeShard(); err != nil {
			return err
		}
		if err := s.newShard(); err != nil {
			return err
		}
		s.size = n
	}
	if !s.entryInit {
		if err := s.gm.mk(vp); err != nil {
			return err
		}
		s.entryInit = true
	}
	if err := s.gm.dataset(vp, fmt.Sprint(i), t); err != nil {
		return err
	}
	key := "/" + vp
	shard := shardName(s.base, len(s.files)-1)
	j, ok := s.index[key]
	if !ok {
		s.index[key] = len(s.vals)
		s.keys = append(s.keys, key)
		s.vals = append(s.vals, []string{shard})
		s.list = append(s.list, false)
		return nil
	}
	// A key written once stays a string; Keras turns it into a list on the second write.
	s.list[j] = true
	for _, f := range s.vals[j] {
		if f == shard {
			return nil
		}
	}
	s.vals[j] = append(s.vals[j], shard)
	return nil
}

// manifestJSON is the manifest as Keras writes it (json.dumps(indent=4)).
func (s *shardSink) manifestJSON() []byte {
	var b strings.Builder
	b.WriteString("{\n    \"metadata\": {\n        \"total_size\": ")
	b.WriteString(pyfmt.Float(float64(s.total)))
	b.WriteString("\n    },\n    \"weight_map\": {")
	for i, k := range s.keys {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n        ")
		b.Write(pyfmt.JSON(k))
		b.WriteString(": ")
		v := s.vals[i]
		if !s.list[i] {
			b.Write(pyfmt.JSON(v[0]))
			continue
		}
		b.WriteString("[")
		for j, f := range v {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n            ")
			b.Write(pyfmt.JSON(f))
		}
		b.WriteString("\n        ]")
	}
	if len(s.keys) > 0 {
		b.WriteString("\n    }\n}")
	} else {
		b.WriteString("}\n}")
	}
	return []byte(b.String())
}

// commit writes the manifest under the temporary prefix: written and synced as TMP.json,
// renamed to TMP.manifest. From then on the set is whole and recovery installs it.
func (s *shardSink) commit(manifest string) error {
	atomicfile.Step("write manifest")
	if err := os.WriteFile(s.tmp+".json", s.manifestJSON(), 0o644); err != nil {
		return err
	}
	atomicfile.Step("sync manifest")
	if err := atomicfile.SyncFile(s.tmp + ".json"); err != nil {
		return err
	}
	for _, f := range s.files {
		if err := os.Chmod(f, 0o644); err != nil {
			return err
		}
	}
	atomicfile.Step("commit manifest")
	if err := os.Rename(s.tmp+".json", s.tmp+".manifest"); err != nil {
		return err
	}
	atomicfile.SyncDir(filepath.Dir(manifest))
	return nil
}

func (s *shardSink) removeTemps() {
	for _, f := range s.files {
		os.Remove(f)
	}
	os.Remove(s.tmp + ".json")
	os.Remove(s.tmp + ".manifest")
}

// shardTemp owns the temporaries of sharded saves: TMP.shard-NNNNN, TMP.json, TMP.manifest.
func shardTemp(t atomicfile.Temp) bool {
	return !t.Dir && (t.Rest == ".manifest" || t.Rest == ".json" || strings.HasPrefix(t.Rest, ".shard-"))
}

// installShards puts the committed set at prefix tmp in place: the old manifest removed,
// the shards renamed, the manifest last.
func installShards(manifest, tmp string) error {
	dir := filepath.Dir(manifest)
	base := shardBase(manifest)
	atomicfile.Step("remove old manifest")
	if err := os.Remove(manifest); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	ts, err := atomicfile.Temps(manifest, shardTemp)
	if err != nil {
		return err
	}
	prefix := filepath.Base(tmp)
	for _, t := range ts {
		rest, ok := strings.CutPrefix(t.Name, prefix+".shard-")
		if !ok {
			continue
		}
		var i int
		if _, err := fmt.Sscanf(rest, "%05d", &i); err != nil || fmt.Sprintf("%05d", i) != rest {
			continue
		}
		atomicfile.Step("install shard")
		if err := os.Rename(t.Path(manifest), filepath.Join(dir, shardName(base, i))); err != nil {
			return err
		}
	}
	atomicfile.Step("install manifest")
	if err := os.Rename(tmp+".manifest", manifest); err != nil {
		return err
	}
	atomicfile.SyncDir(dir)
	return nil
}

// recoverShards (the manifest's lock held) installs a committed set a killed save left and
// removes every other temporary of a sharded save to manifest.
func recoverShards(manifest string) error {
	ts, err := atomicfile.Temps(manifest, shardTemp)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Rest == ".manifest" {
			if err := installShards(manifest, t.Prefix(manifest)); err != nil {
				return err
			}
		}
	}
	return atomicfile.RemoveTemps(manifest, shardTemp)
}

// RecoverShards finishes or rolls back what a killed sharded save to path left, when no save
// holds the manifest's lock (then it does nothing).
func RecoverShards(path string) error {
	manifest, err := ManifestPath(path)
	if err != nil {
		return err
	}
	l, err := atomicfile.Acquire(manifest, false)
	if err != nil {
		return nil // a save is running: it recovers
	}
	defer l.Release()
	return recoverShards(manifest)
}

// oldShards lists the shard names of the manifest at path, if it holds a readable one.
func oldShards(manifest string) []string {
	mf, err := readManifest(manifest, DefaultMaxConfigBytes)
	if err != nil {
		return nil
	}
	return mf.shards
}

// shardManifest is a parsed manifest: its shards in name order.
type shardManifest struct {
	shards []string
	total  float64
}

// readManifest reads and checks the manifest at path.
func readManifest(path string, limit int64) (*shardManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, formatf("not a regular file")
	}
	if st.Size() > limit {
		return nil, formatf("manifest of %d bytes, more than the limit %d", st.Size(), limit)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, err
	}
	var raw struct {
		Metadata struct {
			TotalSize *float64 `json:"total_size"`
		} `json:"metadata"`
		WeightMap map[string]json.RawMessage `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, formatf("manifest: %v", err)
	}
	if raw.WeightMap == nil {
		return nil, formatf("manifest has no weight_map")
	}
	seen := map[string]bool{}
	var out shardManifest
	if raw.Metadata.TotalSize != nil {
		out.total = *raw.Metadata.TotalSize
	}
	add := func(key, name string) error {
		if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			return formatf("weight_map[%q]: bad shard name %q (must be a file beside the manifest)", key, name)
		}
		if !seen[name] {
			if len(seen) >= maxShards {
				return formatf("more than %d shards", maxShards)
			}
			seen[name] = true
			out.shards = append(out.shards, name)
		}
		return nil
	}
	// Keras opens the first shard whatever the map says.
	first := shardName(shardBase(path), 0)
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), first)); err == nil {
		_ = add("", first)
	}
	for key, v := range raw.WeightMap {
		var one string
		var many []string
		switch {
		case json.Unmarshal(v, &one) == nil:
			many = []string{one}
		case json.Unmarshal(v, &many) == nil:
		default:
			return nil, formatf("weight_map[%q]: neither a shard name nor a list of them", key)
		}
		for _, n := range many {
			if err := add(key, n); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(out.shards)
	return &out, nil
}

// withShards merges the shards of the manifest at path into one temporary Keras 3 weights
// file and calls fn with it open (the library lock held). Shards are copied one variable at a
// time; a vars group takes its "name" attribute from the first shard that has one.
func (o ReadOptions) withShards(path string, fn func(h *h5file, shards int) error) error {
	_ = RecoverShards(path)
	mf, err := readManifest(path, o.maxConfig())
	if err != nil {
		return err
	}
	if len(mf.shards) == 0 {
		return formatf("manifest names no shard and %s is missing", shardName(shardBase(path), 0))
	}
	if mf.total > float64(o.maxTotal()) || math.IsNaN(mf.total) {
		return formatf("manifest declares %v bytes, more than the limit %d", mf.total, o.maxTotal())
	}
	tf, err := os.CreateTemp("", "kerasgo-shards-*.weights.h5")
	if err != nil {
		return err
	}
	tmp := tf.Name()
	tf.Close()
	defer os.Remove(tmp)
	defer lockLib()()
	out, err := createLib(tmp)
	if err != nil {
		return err
	}
	gm := &groupMaker{h: out, made: map[string]bool{}}
	named := map[string]bool{}
	var total int64
	for _, name := range mf.shards {
		err := func() error {
			in, err := openChecked(filepath.Join(filepath.Dir(path), name))
			if err != nil {
				return err
			}
			defer in.close()
			return o.copyShard(in, gm, "", named, &total, 0)
		}()
		if err != nil {
			out.close()
			var oe *objErr
			if errors.As(err, &oe) {
				return atObj(name+":"+oe.obj, oe.err)
			}
			return atObj(name, err)
		}
	}
	if err := out.close(); err != nil {
		return err
	}
	h, err := openChecked(tmp)
	if err != nil {
		return err
	}
	defer h.close()
	return fn(h, len(mf.shards))
}

// copyShard copies group p of a shard into the merged file.
func (o ReadOptions) copyShard(in *h5file, gm *groupMaker, p string, named map[string]bool, total *int64, depth int) error {
	if depth > 4*maxNesting+8 {
		return unsupportedf("groups nested too deep")
	}
	if err := gm.mk(p); err != nil {
		return err
	}
	attrs, err := in.attrNames(p)
	if err != nil {
		return atObj(pathOrRoot(p), err)
	}
	for _, a := range attrs {
		if a != attrName || p == "" {
			return atObj(attrPath(pathOrRoot(p), a), unsupportedf("attribute in a weights shard"))
		}
		if named[p] {
			continue
		}
		v, err := in.readString(p, a)
		if err != nil {
			return atObj(attrPath(p, a), err)
		}
		if err := gm.h.writeVlenAttr(p, attrName, []string{v}, true, true); err != nil {
			return atObj(attrPath(p, a), err)
		}
		named[p] = true
	}
	c, err := in.children(p)
	if err != nil {
		return err
	}
	if len(c.softs) > 0 {
		return atObj(joinPath(p, c.softs[0]), unsupportedf("soft or external link"))
	}
	if len(c.others) > 0 {
		return atObj(joinPath(p, c.others[0]), unsupportedf("object that is neither a group nor a dataset"))
	}
	for _, d := range c.datasets {
		dp := joinPath(p, d)
		if k, err := gm.h.kind(dp); err != nil || k != kindMissing {
			return atObj(dp, formatf("in two shards"))
		}
		if as, err := in.attrNames(dp); err != nil || len(as) > 0 {
			return atObj(dp, unsupportedf("dataset attributes in a weights shard"))
		}
		t, err := in.readTensor(dp, o.MaxTensorBytes)
		if err != nil {
			return err
		}
		*total += int64(t.Len()) * int64(t.DType.Size())
		if *total > o.maxTotal() {
			return atObj(dp, formatf("the shards hold more than %d bytes", o.maxTotal()))
		}
		if err := gm.h.writeDataset(parentOrRoot(p), d, t); err != nil {
			return atObj(dp, err)
		}
	}
	for _, g := range c.groups {
		if err := o.copyShard(in, gm, joinPath(p, g), named, total, depth+1); err != nil {
			return err
		}
	}
	return nil
}
