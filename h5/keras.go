package h5

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kerasgo/kerasgo/internal/atomicfile"
	"io"
	"os"
	"path"
	"path/filepath"
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
	fs, err := objectFields(m.Config)
	if err != nil {
		return fileErr("save", path, err)
	}
	fs = dropFields(fs, "compile_config")
	if m.TrainingConfig != nil {
		if !json.Valid(m.TrainingConfig) {
			return fileErr("save", path, formatf("training config is not valid JSON"))
		}
		fs = append(fs, field{"compile_config", m.TrainingConfig})
	}
	config := marshalFields(fs)
	kv, _ := versions(m)
	meta, _ := json.Marshal(struct {
		KerasVersion string `json:"keras_version"`
		DateSaved    string `json:"date_saved"`
	}{kv, time.Now().Format("2006-01-02@15:04:05")})

	err = atomicfile.Options{Sync: true}.Write(path, func(tmp string) error {
		wf, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".weights-*.h5")
		if err != nil {
			return err
		}
		wpath := wf.Name()
		wf.Close()
		defer os.Remove(wpath)
		if err := writeH5(wpath, func(h *h5file) error { return writeKeras3(h, m) }); err != nil {
			return err
		}
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
	return fileErr("save", path, err)
}

// LoadKeras reads a .keras file: a Keras 3 zip (stored or deflated members), a tf_keras
// 2.13–2.15 zip, or a legacy HDF5 file with a .keras name (then as Load).
func LoadKeras(path string) (*saved.Model, error) { return ReadOptions{}.LoadKeras(path) }

// LoadKeras is LoadKeras with options.
func (o ReadOptions) LoadKeras(path string) (*saved.Model, error) {
	kind, err := fileKind(path)
	if err != nil {
		return nil, fileErr("load", path, err)
	}
	switch kind {
	case "hdf5":
		return o.Load(path)
	case "zip":
	default:
		return nil, fileErr("load", path, formatf("neither a zip nor an HDF5 file"))
	}
	var m *saved.Model
	err = o.withKerasWeights(path, func(wpath string, ka *kerasArchive) error {
		defer lockLib()()
		h, err := openChecked(wpath)
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

// withKerasWeights opens a .keras zip, reads its JSON members, extracts model.weights.h5 to
// a temporary file and calls fn with it.
func (o ReadOptions) withKerasWeights(zpath string, fn func(wpath string, ka *kerasArchive) error) error {
	zr, err := zip.OpenReader(zpath)
	if err != nil {
		return zipErr(err)
	}
	defer zr.Close()
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
	ka := &kerasArchive{}
	if f := members[memberMetadata]; f != nil {
		b, err := readMember(f, maxJSONMember)
		if err != nil {
			return err
		}
		var meta struct {
			KerasVersion string `json:"keras_version"`
		}
		if err := json.Unmarshal(b, &meta); err != nil {
			return atObj(memberMetadata, formatf("%v", err))
		}
		ka.version = meta.KerasVersion
	}
	f := members[memberConfig]
	if f == nil {
		return formatf("no %s in the archive (not a Keras .keras file)", memberConfig)
	}
	b, err := readMember(f, maxJSONMember)
	if err != nil {
		return err
	}
	fs, err := objectFields(b)
	if err != nil {
		return atObj(memberConfig, err)
	}
	if cc, ok := getField(fs, "compile_config"); ok && strings.TrimSpace(string(cc)) != "null" {
		ka.compile = cc
	}
	ka.config = marshalFields(dropFields(fs, "compile_config"))
	wf := members[memberWeights]
	if wf == nil {
		if members["model.weights.npz"] != nil {
			return unsupportedf("weights in model.weights.npz")
		}
		return formatf("no %s in the archive", memberWeights)
	}
	limit := o.MaxWeightsMember
	if limit <= 0 {
		limit = defaultMaxWeightsMember
	}
	if wf.UncompressedSize64 > uint64(limit) {
		return atObj(memberWeights, formatf("%d bytes exceeds the %d-byte limit", wf.UncompressedSize64, limit))
	}
	tmp, err := os.CreateTemp("", "kerasgo-*.weights.h5")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	r, err := wf.Open()
	if err != nil {
		tmp.Close()
		return atObj(memberWeights, zipErr(err))
	}
	n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
	r.Close()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return atObj(memberWeights, zipErr(err))
	}
	if n > limit || uint64(n) != wf.UncompressedSize64 {
		return atObj(memberWeights, formatf("member size %d, directory says %d", n, wf.UncompressedSize64))
	}
	return fn(tmp.Name(), ka)
}
