package h5

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"github.com/kerasgo/kerasgo/internal/regfile"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kerasgo/kerasgo/saved"
)

// kerasArchive is what a .keras zip holds besides the weights.
type kerasArchive struct {
	config  json.RawMessage // config.json without compile_config
	compile json.RawMessage // compile_config, nil when absent or null
	version string          // metadata.json keras_version
}

// SaveKeras writes a Keras 3 .keras archive (FORMATS.md §2.1): metadata.json, config.json
// (m.Config plus compile_config from m.TrainingConfig) and model.weights.h5, stored
// uncompressed as Keras writes them. m must be in the Keras 3 dialect.
func SaveKeras(path string, m *saved.Model) error {
	if m == nil || m.Config == nil {
		return fileErr("save", path, formatf("SaveKeras needs a model config"))
	}
	if m.Dialect != saved.Keras3 {
		return fileErr("save", path, unsupportedf(".keras needs a Keras 3 dialect config (got %v)", m.Dialect))
	}
	config, meta, err := kerasJSON(m)
	if err != nil {
		return fileErr("save", path, err)
	}
	err = atomicfile.Options{}.Write(path, func(tmp string) error {
		// The weights go to a temporary name of the same save (removed by the next save
		// to path if this one is killed).
		wpath := tmp + ".weights.h5"
		defer os.Remove(wpath)
		if err := writeH5(wpath, func(h *h5file) error { return writeKeras3(h, m) }); err != nil {
			return err
		}
		atomicfile.Step("write archive")
		out, err := os.Create(tmp)
		if err != nil {
			return err
		}
		zw := zip.NewWriter(out)
		epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
		add := func(name string, mod time.Time, src io.Reader) error {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: mod})
			if err != nil {
				return err
			}
			_, err = io.Copy(w, src)
			return err
		}
		err = add(memberMetadata, epoch, strings.NewReader(string(meta)))
		if err == nil {
			err = add(memberConfig, epoch, strings.NewReader(string(config)))
		}
		if err == nil {
			var in *os.File
			if in, err = os.Open(wpath); err == nil {
				err = add(memberWeights, time.Now(), in)
				in.Close()
			}
		}
		if err == nil {
			err = zw.Close()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return fileErr("save", path, nameErrno(err))
}

// kerasJSON builds config.json (m.Config plus compile_config from m.TrainingConfig) and
// metadata.json as Keras 3 writes them.
func kerasJSON(m *saved.Model) (config, meta []byte, err error) {
	fs, err := objectFields(m.Config)
	if err != nil {
		return nil, nil, err
	}
	fs = dropFields(fs, "compile_config")
	if m.TrainingConfig != nil {
		if !json.Valid(m.TrainingConfig) {
			return nil, nil, formatf("training config is not valid JSON")
		}
		fs = append(fs, field{"compile_config", m.TrainingConfig})
	}
	config = marshalFields(fs)
	kv, _ := versions(m)
	meta, _ = json.Marshal(struct {
		KerasVersion string `json:"keras_version"`
		DateSaved    string `json:"date_saved"`
	}{kv, time.Now().Format("2006-01-02@15:04:05")})
	return config, meta, nil
}

// SaveKerasDir writes an unzipped Keras 3 model, as Keras 3's model.save(dir, zipped=False)
// does: the directory dir holding config.json, metadata.json and model.weights.h5, the same
// three files a .keras zip holds. Like Keras, it refuses a directory name ending in ".keras"
// (that name means a zip).
//
// The directory is replaced as a whole (atomicfile.ReplaceDir: built beside dir, then swapped
// in), so a crash leaves the old three files or the new three, never a new config beside old
// weights. Other regular files in an existing dir are carried into the new one as hard links
// (the same files); anything else in it (a folder, a link) is refused, naming it, before
// anything is written.
func SaveKerasDir(dir string, m *saved.Model) error {
	if m == nil || m.Config == nil {
		return fileErr("save", dir, formatf("SaveKerasDir needs a model config"))
	}
	if m.Dialect != saved.Keras3 {
		return fileErr("save", dir, unsupportedf("an unzipped Keras model needs a Keras 3 dialect config (got %v)", m.Dialect))
	}
	if strings.HasSuffix(dir, ".keras") {
		return fileErr("save", dir, unsupportedf("an unzipped Keras model must not be named *.keras (Keras 3 refuses it with zipped=False)"))
	}
	config, meta, err := kerasJSON(m)
	if err != nil {
		return fileErr("save", dir, err)
	}
	var carry []string
	err = atomicfile.ReplaceDir(dir, atomicfile.DirOptions{
		NoExchange: kerasDirNoExchange,
		Check: func(dir string) (err error) {
			carry, err = kerasDirCarry(dir)
			return err
		},
		Build: func(tmp string) error {
			sync := atomicfile.Options{Locked: true}
			if err := sync.WriteBytes(filepath.Join(tmp, memberMetadata), meta); err != nil {
				return atObj(memberMetadata, nameErrno(err))
			}
			if err := sync.WriteBytes(filepath.Join(tmp, memberConfig), config); err != nil {
				return atObj(memberConfig, nameErrno(err))
			}
			err := sync.Write(filepath.Join(tmp, memberWeights), func(t string) error {
				return writeH5(t, func(h *h5file) error { return writeKeras3(h, m) })
			})
			if err != nil {
				return atObj(memberWeights, nameErrno(err))
			}
			for _, name := range carry {
				atomicfile.Step("link " + name)
				if err := os.Link(filepath.Join(dir, name), filepath.Join(tmp, name)); err != nil {
					return atObj(name, fmt.Errorf("%w: carrying the file into the new directory: %v", ErrUnsupported, err))
				}
			}
			return nil
		},
	})
	return fileErr("save", dir, err)
}

// kerasDirNoExchange makes SaveKerasDir replace a directory by two renames, as on systems
// without an atomic exchange (set by tests).
var kerasDirNoExchange bool

// kerasDirCarry checks an existing unzipped model directory before it is replaced and returns
// the names of the other regular files in it, which the new directory keeps.
func kerasDirCarry(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, formatf("it exists and is not a directory")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var carry []string
	for _, e := range ents {
		if !e.Type().IsRegular() {
			return nil, unsupportedf("refusing to replace the directory: it holds %q, which is not a regular file (only files are carried into the new directory)", e.Name())
		}
		switch e.Name() {
		case memberConfig, memberMetadata, memberWeights:
		default:
			carry = append(carry, e.Name())
		}
	}
	return carry, nil
}

// sourceKind is fileKind extended to the directories Keras 3 loads as models: "kerasdir" for
// a directory holding config.json (model.save(dir, zipped=False)), "dir" for any other.
func sourceKind(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		if st, err := os.Stat(filepath.Join(path, memberConfig)); err == nil && !st.IsDir() {
			return "kerasdir", nil
		}
		return "dir", nil
	}
	return fileKind(path)
}

// reShard matches a Keras 3 weights shard name: <base>_<5 digits>.weights.h5.
var reShard = regexp.MustCompile(`^(.+)_[0-9]{5}\.weights\.h5$`)

// checkSharded refuses one shard of Keras 3 sharded weights (save_weights with
// max_shard_size), a <name>_NNNNN.weights.h5 that has its manifest beside it: it holds only
// part of the variables, and the manifest is what to read.
func checkSharded(path string) error {
	if sm := reShard.FindStringSubmatch(filepath.Base(path)); sm != nil {
		manifest := filepath.Join(filepath.Dir(path), sm[1]+ManifestSuffix)
		if st, err := os.Stat(manifest); err == nil && !st.IsDir() {
			return unsupportedf("one shard of Keras 3 sharded weights: read its manifest %s", manifest)
		}
	}
	return nil
}

// LoadKeras reads a .keras file: a Keras 3 zip (stored or deflated members), a tf_keras
// 2.13–2.15 zip, a legacy HDF5 file with a .keras name (then as Load), or an unzipped Keras 3
// model directory (model.save(dir, zipped=False): config.json, metadata.json,
// model.weights.h5).
func LoadKeras(path string) (*saved.Model, error) { return ReadOptions{}.LoadKeras(path) }

// LoadKeras is LoadKeras with options.
func (o ReadOptions) LoadKeras(path string) (*saved.Model, error) {
	if IsShardManifest(path) {
		return o.Load(path)
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		// An unzipped model directory: finish or roll back a save a crash interrupted
		// (best effort: a save holding the lock is left alone).
		atomicfile.RecoverDir(path)
	}
	kind, err := sourceKind(path)
	if err != nil {
		return nil, fileErr("load", path, err)
	}
	switch kind {
	case "hdf5":
		return o.Load(path)
	case "zip", "kerasdir":
	case "dir":
		return nil, fileErr("load", path, formatf("a directory without %s (not an unzipped Keras model)", memberConfig))
	default:
		if err := checkSharded(path); err != nil {
			return nil, fileErr("load", path, err)
		}
		return nil, fileErr("load", path, formatf("neither a zip nor an HDF5 file"))
	}
	var m *saved.Model
	err = o.withKerasWeights(path, func(open weightsOpener, ka *kerasArchive) error {
		defer lockLib()()
		h, err := open()
		if err != nil {
			return atObj(memberWeights, err)
		}
		defer h.close()
		m, err = o.readModel(h, ka)
		if err != nil {
			var oe *objErr
			if errors.As(err, &oe) {
				return atObj(memberWeights+":"+oe.obj, oe.err)
			}
			return atObj(memberWeights, err)
		}
		return nil
	})
	if err != nil {
		return nil, fileErr("load", path, err)
	}
	return m, nil
}

// checkMemberName rejects zip member names that could escape a directory.
func checkMemberName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) ||
		strings.Contains(name, "\x00") || (len(name) > 1 && name[1] == ':') {
		return formatf("zip member name %q", name)
	}
	for _, p := range strings.Split(name, "/") {
		if p == ".." {
			return formatf("zip member name %q escapes the archive", name)
		}
	}
	if path.Clean(name) != strings.TrimSuffix(name, "/") && path.Clean(name)+"/" != name {
		return formatf("zip member name %q is not clean", name)
	}
	return nil
}

// readMember reads a whole zip member of at most limit bytes.
func readMember(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, atObj(f.Name, formatf("%d bytes exceeds the %d-byte limit", f.UncompressedSize64, limit))
	}
	r, err := f.Open()
	if err != nil {
		return nil, atObj(f.Name, zipErr(err))
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, atObj(f.Name, zipErr(err))
	}
	if int64(len(b)) > limit {
		return nil, atObj(f.Name, formatf("more than %d bytes", limit))
	}
	return b, nil
}

func zipErr(err error) error {
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("%w: %w", ErrChecksum, err)
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return err
}

// weightsOpener opens the model.weights.h5 of a .keras archive or directory (libMu must be
// held).
type weightsOpener func() (*h5file, error)

// withKerasWeights opens a .keras zip, reads its JSON members and calls fn with the way to
// open model.weights.h5: in place when the member is stored (as Keras writes it), else
// inflated into a hidden temporary file (see member.go). For an unzipped model directory it
// reads the files in place. Errors never name a temporary file.
func (o ReadOptions) withKerasWeights(zpath string, fn func(open weightsOpener, ka *kerasArchive) error) error {
	if st, err := os.Stat(zpath); err == nil && st.IsDir() {
		return o.withKerasDir(zpath, fn)
	}
	zf, zsize, err := openRegular(zpath)
	if err != nil {
		return err
	}
	defer zf.Close()
	zr, err := zip.NewReader(zf, zsize)
	if err != nil {
		return zipErr(err)
	}
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		if err := checkMemberName(f.Name); err != nil {
			return err
		}
		if members[f.Name] != nil {
			return formatf("duplicate zip member %q", f.Name)
		}
		members[f.Name] = f
	}
	var meta, config []byte
	if f := members[memberMetadata]; f != nil {
		if meta, err = readMember(f, maxMetadataMember); err != nil {
			return err
		}
	}
	f := members[memberConfig]
	if f == nil {
		return formatf("no %s in the archive (not a Keras .keras file)", memberConfig)
	}
	if config, err = readMember(f, o.maxConfig()); err != nil {
		return err
	}
	ka, err := parseKerasJSON(meta, config)
	if err != nil {
		return err
	}
	wf := members[memberWeights]
	if wf == nil {
		if members["model.weights.npz"] != nil {
			return unsupportedf("weights in model.weights.npz")
		}
		return formatf("no %s in the archive", memberWeights)
	}
	// A member read in place costs no more than its tensors (bounded on their own); one to
	// extract is bounded first.
	inPlace := haveMemberDriver && wf.Method == zip.Store
	limit := o.maxWeightsMember()
	if (inPlace && o.MaxWeightsMember > 0 || !inPlace) && wf.UncompressedSize64 > uint64(limit) {
		return atObj(memberWeights, formatf("%d bytes exceeds the %d-byte limit", wf.UncompressedSize64, limit))
	}
	if err := checkMemberSignature(wf); err != nil {
		return atObj(memberWeights, err)
	}
	if inPlace {
		base, size, ok, err := storedMember(zf, zsize, wf)
		if err != nil {
			return atObj(memberWeights, err)
		}
		if ok {
			return fn(func() (*h5file, error) { return openMember(zpath, zf, base, size) }, ka)
		}
	}
	open, wpath, done, err := extractMember(wf, limit)
	if err != nil {
		return atObj(memberWeights, err)
	}
	defer done()
	return memberErr(fn(open, ka), wpath)
}

// parseKerasJSON reads metadata.json (nil when absent) and config.json.
func parseKerasJSON(meta, config []byte) (*kerasArchive, error) {
	ka := &kerasArchive{}
	if meta != nil {
		var md struct {
			KerasVersion string `json:"keras_version"`
		}
		if err := json.Unmarshal(meta, &md); err != nil {
			return nil, atObj(memberMetadata, formatf("%v", err))
		}
		ka.version = md.KerasVersion
	}
	fs, err := objectFields(config)
	if err != nil {
		return nil, atObj(memberConfig, err)
	}
	if cc, ok := getField(fs, "compile_config"); ok && strings.TrimSpace(string(cc)) != "null" {
		ka.compile = cc
	}
	ka.config = marshalFields(dropFields(fs, "compile_config"))
	return ka, nil
}

// readDirMember reads dir/name, a regular file of at most limit bytes; absent gives nil.
func readDirMember(dir, name string, limit int64) ([]byte, error) {
	b, err := regfile.ReadFile(filepath.Join(dir, name), limit)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case errors.Is(err, regfile.ErrNotRegular):
		return nil, atObj(name, formatf("%v", err))
	case errors.Is(err, regfile.ErrTooLarge):
		return nil, atObj(name, formatf("more than %d bytes", limit))
	case err != nil:
		return nil, atObj(name, err)
	}
	return b, nil
}

// withKerasDir is withKerasWeights for an unzipped model directory.
func (o ReadOptions) withKerasDir(dir string, fn func(open weightsOpener, ka *kerasArchive) error) error {
	meta, err := readDirMember(dir, memberMetadata, maxMetadataMember)
	if err != nil {
		return err
	}
	config, err := readDirMember(dir, memberConfig, o.maxConfig())
	if err != nil {
		return err
	}
	if config == nil {
		return formatf("no %s in the directory (not an unzipped Keras model)", memberConfig)
	}
	ka, err := parseKerasJSON(meta, config)
	if err != nil {
		return err
	}
	wpath := filepath.Join(dir, memberWeights)
	st, err := os.Stat(wpath)
	if err != nil {
		if _, e2 := os.Stat(filepath.Join(dir, "model.weights.npz")); e2 == nil {
			return unsupportedf("weights in model.weights.npz")
		}
		return formatf("no %s in the directory", memberWeights)
	}
	if !st.Mode().IsRegular() {
		return atObj(memberWeights, formatf("not a regular file"))
	}
	return fn(func() (*h5file, error) { return openChecked(wpath) }, ka)
}
