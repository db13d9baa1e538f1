package h5

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Report is what Audit finds in a file: every dataset, whether kerasgo's Keras
// loader reads the file, and which datasets the loader left unread.
type Report struct {
	// Vars is every dataset of the file (of the model.weights.h5 inside a .keras zip), as
	// List returns them.
	Vars []Var
	// Shards is the number of shards of Keras 3 sharded weights (a .weights.json manifest),
	// read together as one file; 0 for any other file.
	Shards int
	// Model is what Load returns; nil when LoadErr is set.
	Model *saved.Model
	// LoadErr is why Load does not read this sound file (it wraps ErrUnsupported); nil when
	// Model is set.
	LoadErr error
	// Unread lists, sorted, the datasets of Vars that the loader did not read, when it
	// read the file (Model set), other than Skipped. Load reading the file while leaving
	// datasets unread means the returned model lacks them.
	Unread []string
	// Skipped lists the datasets the loader leaves out by design: the metric accumulators
	// (metrics/<name>/vars) tf_keras 2.13-2.15 writes into a .keras file, which are no
	// weights and which Keras 3 does not save.
	Skipped []string
}

// skippedByDesign reports datasets the Keras loaders leave out on purpose (see
// Report.Skipped).
func skippedByDesign(path string) bool {
	// Files written on Windows have flat "metrics\<name>" groups.
	return strings.HasPrefix(path, groupMetrics+"/") || strings.HasPrefix(path, groupMetrics+`\`)
}

// Audit checks a whole file without trusting the Keras layout: it lists every dataset,
// reads every numeric one, then runs the Keras loader (Load or LoadKeras), recording the
// datasets it reads. It returns an error when the file is not sound (the container, a
// dataset, a JSON member or the Keras layout is invalid or corrupt); a sound file that the
// loader does not support gives a Report with LoadErr set.
func Audit(path string) (*Report, error) { return ReadOptions{}.Audit(path) }

// Audit is Audit with options.
func (o ReadOptions) Audit(path string) (*Report, error) {
	if IsShardManifest(path) {
		var a *Report
		err := o.withShards(path, func(h *h5file, shards int) (err error) {
			if a, err = o.audit(h, nil); err == nil {
				a.Shards = shards
			}
			return err
		})
		if err != nil {
			return nil, fileErr("verify", path, err)
		}
		if a.LoadErr != nil {
			a.LoadErr = fileErr("load", path, a.LoadErr)
		}
		return a, nil
	}
	kind, err := sourceKind(path)
	if err != nil {
		return nil, fileErr("verify", path, err)
	}
	var a *Report
	switch kind {
	case "zip", "kerasdir":
		err = o.withKerasWeights(path, func(open weightsOpener, ka *kerasArchive) error {
			defer lockLib()()
			h, err := open()
			if err != nil {
				return atObj(memberWeights, err)
			}
			defer h.close()
			a, err = o.audit(h, ka)
			if err != nil {
				var oe *objErr
				if errors.As(err, &oe) {
					return atObj(memberWeights+":"+oe.obj, oe.err)
				}
				return atObj(memberWeights, err)
			}
			if a.LoadErr != nil {
				var oe *objErr
				if errors.As(a.LoadErr, &oe) {
					a.LoadErr = atObj(memberWeights+":"+oe.obj, oe.err)
				}
			}
			return nil
		})
	case "hdf5":
		err = func() error {
			defer lockLib()()
			h, err := openChecked(path)
			if err != nil {
				return err
			}
			defer h.close()
			a, err = o.audit(h, nil)
			return err
		}()
	default:
		err = formatf("neither an HDF5 file nor a zip")
	}
	if err != nil {
		return nil, fileErr("verify", path, err)
	}
	if a.LoadErr != nil {
		a.LoadErr = fileErr("load", path, a.LoadErr)
	}
	return a, nil
}

// audit is Audit on an open file; ka is the surrounding .keras archive, if any.
func (o ReadOptions) audit(h *h5file, ka *kerasArchive) (*Report, error) {
	vars, err := h.listVars()
	if err != nil {
		return nil, err
	}
	h.read = nil
	o.startRead(h)
	if err := h.checkDeclared(vars, o.MaxTensorBytes); err != nil {
		return nil, err
	}
	for _, v := range vars {
		if v.DType == tensor.Invalid || v.DType == tensor.String {
			continue // not a tensor; the loader never reads it either
		}
		if _, err := h.readTensor(v.Path, o.MaxTensorBytes); err != nil && !errors.Is(err, ErrUnsupported) {
			return nil, err
		}
	}
	a := &Report{Vars: vars}
	h.read = map[string]bool{}
	m, err := o.readModel(h, ka)
	if err != nil {
		if !errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		a.LoadErr = err
		return a, nil
	}
	a.Model = m
	for _, v := range vars {
		switch {
		case h.read[v.Path]:
		case skippedByDesign(v.Path):
			a.Skipped = append(a.Skipped, v.Path)
		default:
			a.Unread = append(a.Unread, v.Path)
		}
	}
	return a, nil
}

// checkAllRead fails with ErrUnsupported when datasets that keep (nil: all) accepts were not
// read by the loader: the Keras 3 layout has weights in places kerasgo does not look (the
// layers of a nested model, an RNN layer's cell, a model's own variables), and a load that
// silently dropped them would return a model without those weights.
func (h *h5file) checkAllRead(what string, keep func(path string) bool) error {
	if h.read == nil {
		return nil
	}
	vars, err := h.listVars()
	if err != nil {
		return err
	}
	var unread []string
	total := 0
	for _, v := range vars {
		if (keep != nil && !keep(v.Path)) || skippedByDesign(v.Path) {
			continue
		}
		total++
		if !h.read[v.Path] {
			unread = append(unread, v.Path)
		}
	}
	if len(unread) == 0 {
		return nil
	}
	sort.Strings(unread)
	return unsupportedf("%d of %d %s not read (kerasgo reads the vars of top-level layers only; not nested models, RNN cells or other sub-objects): %s",
		len(unread), total, what, firstPaths(unread, 8))
}

// skipVars marks every dataset under prefix as read: state kerasgo skips by design.
func (h *h5file) skipVars(prefix string) error {
	if h.read == nil {
		return nil
	}
	vars, err := h.listVars()
	if err != nil {
		return err
	}
	for _, v := range vars {
		if strings.HasPrefix(v.Path, prefix) {
			h.read[v.Path] = true
		}
	}
	return nil
}

// firstPaths joins the first n paths with ", " and says how many more there are.
func firstPaths(paths []string, n int) string {
	if len(paths) <= n {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:n], ", "), len(paths)-n)
}
