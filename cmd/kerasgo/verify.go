package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// verifyResult is what verify found, format-independent.
type verifyResult struct {
	sound string // "1 file, 17 variables (...)"
	total int    // every variable of the file
	// The loader's reading, when it read the file (loadErr nil).
	sm      *saved.Model
	loadErr error
	unread  []string
	skipped []string
	skipWhy string
	// noRun, when set, says why kerasgo cannot run a model it read (no config and not a
	// plain weights file: a Keras 3 export).
	noRun string
}

// cmdVerify checks that a file is sound whatever model it holds, then says separately
// whether kerasgo can run it. Output (the first line is what scripts test):
//
//	ok: FORMAT PATH: sound: N files, M variables, CHECKS
//	kerasgo can run: yes|no|weights only — DETAILS
//	skipped: K variables by design (WHY): PATHS          (only when there are some)
//	same as FORMAT OTHER: every tensor equal (COUNTS)     (with --against OTHER)
//
// The exit status is 0 when the file is sound. It is 1 (and nothing is printed on stdout)
// when it is not, naming the first problem, and when kerasgo's loader reads the file but
// leaves variables unread ("N of M variables not read by kerasgo's loader: PATHS"): a
// partial read never passes as ok. HDF5 keeps no checksums of its data, so CHECKS says so
// for HDF5 files: a copy is checked against the original with --against, which compares
// every tensor of the two files (of any formats kerasgo reads) and fails naming the first
// differences by layer and weight.
func cmdVerify(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	against := fs.String("against", "", "compare every tensor with this file or directory (any format kerasgo reads)")
	index := fs.Bool("index", false, "a TF checkpoint: check its index and the presence and sizes of its data files only, reading no tensor data (of a remote checkpoint, only the index is fetched)")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if *index {
		if *against != "" {
			return fmt.Errorf("%w: --index does not go with --against", errUsage)
		}
		f, p, err := model.Detect(pos[0])
		if err != nil {
			return err
		}
		if f != model.FormatCheckpoint {
			return fmt.Errorf("%w: --index is for TF checkpoints; %s is %s", errUsage, pos[0], f)
		}
		line, err := verifyIndex(p)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, line)
		return nil
	}
	return withLocalInput(pos[0], w, func(path string, w io.Writer) error { return verifyPath(path, *against, w) })
}

// verifyPath is verify of a local path.
func verifyPath(path, against string, w io.Writer) error {
	f, p, err := model.Detect(path)
	if err != nil {
		return err
	}
	var r *verifyResult
	switch f {
	case model.FormatHDF5, model.FormatKeras:
		r, err = verifyH5(f, p)
	case model.FormatCheckpoint:
		r, err = verifyCheckpoint(p)
	case model.FormatSavedModel:
		r, err = verifySavedModel(p)
	default:
		return fmt.Errorf("verify %s: unknown format", path)
	}
	if err != nil {
		return err
	}
	if r.loadErr == nil && len(r.unread) > 0 {
		return fmt.Errorf("verify %s: %d of %d variables not read by kerasgo's loader: %s", p, len(r.unread), r.total, firstPaths(r.unread, 10))
	}
	same := ""
	if against != "" {
		if same, err = verifyAgainst(r, p, against); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "ok: %s %s: sound: %s\n", f, p, r.sound)
	fmt.Fprintf(w, "kerasgo can run: %s\n", oneLine(r.canRun()))
	if len(r.skipped) > 0 {
		fmt.Fprintf(w, "skipped: %s by design (%s): %s\n", plural(len(r.skipped), "variable"), r.skipWhy, firstPaths(r.skipped, 10))
	}
	if same != "" {
		fmt.Fprintln(w, same)
	}
	return nil
}

// verifyAgainst compares every tensor of the verified file p (read as r) with those of the
// file other, and returns the line saying they are the same.
func verifyAgainst(r *verifyResult, p, other string) (string, error) {
	if r.loadErr != nil {
		return "", fmt.Errorf("verify %s --against %s: kerasgo does not read the tensors of %s: %w", p, other, p, r.loadErr)
	}
	of, _, err := model.Detect(other)
	if err != nil {
		return "", err
	}
	om, err := model.LoadSaved(other)
	if err != nil {
		return "", err
	}
	c := compareSaved(r.sm, om)
	if len(c.diffs) > 0 {
		return "", fmt.Errorf("verify %s --against %s: %s", p, other, c)
	}
	return fmt.Sprintf("same as %s %s: every tensor equal (%s, %s, %s, %s compared)", of, other,
		plural(c.layers, "layer"), plural(c.weights, "weight"), plural(c.slots, "optimizer slot"), plural(c.tensors, "tensor")), nil
}

// canRun says whether kerasgo can run the model: "yes — ...", "no — why", or
// "weights only — ..." for a file without an architecture whose weights kerasgo reads.
func (r *verifyResult) canRun() string {
	if r.loadErr != nil {
		return "no — " + r.loadErr.Error()
	}
	read := r.total - len(r.skipped)
	reads := fmt.Sprintf("accounts for all %d variables", read)
	if len(r.skipped) > 0 {
		reads = fmt.Sprintf("accounts for %d of %d variables, %d skipped", read, r.total, len(r.skipped))
	}
	desc := fmt.Sprintf("%s, %s%s", plural(len(r.sm.Layers), "layer"), plural(countWeights(r.sm.Layers), "weight"), optimizerNote(r.sm.Optimizer != nil))
	if r.noRun != "" {
		return fmt.Sprintf("no — %s; as weights, kerasgo %s (%s)", r.noRun, reads, desc)
	}
	if len(r.sm.Config) == 0 {
		return fmt.Sprintf("weights only — no model config (build the model, then load the weights); kerasgo %s (%s)", reads, desc)
	}
	m, err := model.AdoptSaved(r.sm)
	if err != nil {
		return fmt.Sprintf("no — %v (kerasgo %s)", err, reads)
	}
	kind := "Sequential"
	if m.Functional() {
		kind = "Functional"
	}
	return fmt.Sprintf("yes — %s %q, %s; kerasgo %s", kind, m.Name(), desc, reads)
}

func verifyH5(f model.Format, p string) (*verifyResult, error) {
	a, err := h5.Audit(p)
	if err != nil {
		return nil, err
	}
	checks := "every dataset read; no checksums in this format (HDF5 keeps none for its data: compare a copy with --against)"
	files := "1 file"
	if h5.IsShardManifest(p) {
		files = fmt.Sprintf("%d files (the manifest and %d shards)", 1+a.Shards, a.Shards)
	}
	if f == model.FormatKeras {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			files = "1 directory (JSON files parsed)"
		} else {
			files = "1 file (zip members crc32-checked, JSON members parsed)"
			checks = "every dataset read; the zip's crc32 covers the weights, HDF5 itself has no checksums in this format"
		}
	}
	return &verifyResult{
		sound:   fmt.Sprintf("%s, %d variables, %s", files, len(a.Vars), checks),
		total:   len(a.Vars),
		sm:      a.Model,
		loadErr: a.LoadErr,
		unread:  a.Unread,
		skipped: a.Skipped,
		skipWhy: "no weights: tf_keras metric accumulators",
	}, nil
}

func verifyCheckpoint(p string) (*verifyResult, error) {
	a, err := checkpoint.Audit(p)
	if err != nil {
		return nil, err
	}
	r := &verifyResult{
		total:   len(a.Entries),
		sm:      a.Model,
		loadErr: a.LoadErr,
		unread:  a.Unread,
		skipped: a.Skipped,
		skipWhy: "no weights: tf.train.Checkpoint save counter, tf_keras metric accumulators, optimizer_v2 hyperparameters",
	}
	shards := 0
	if a.Checked > 0 || len(a.Entries) > 0 {
		if rd, err := checkpoint.Open(a.Prefix); err == nil {
			shards = rd.NumShards()
			rd.Close()
		}
	}
	r.sound = fmt.Sprintf("%d files, %d variables, %s, object graph consistent", 1+shards, len(a.Entries), crcNote(a.Checked, a.Unreadable, a.Unverified))
	return r, nil
}

func verifySavedModel(p string) (*verifyResult, error) {
	a, err := savedmodel.Audit(p)
	if err != nil {
		return nil, err
	}
	sigs := make([]string, 0, len(a.Info.Signatures))
	for _, s := range a.Info.Signatures {
		if !strings.HasPrefix(s.Key, "__") {
			sigs = append(sigs, s.Key)
		}
	}
	r := &verifyResult{
		sound: fmt.Sprintf("%d files, %d variables, %s, object graph consistent; signatures %s, %d functions",
			len(a.Files), len(a.Keys), crcNote(a.Checked, a.Unreadable, a.Unverified), strings.Join(sigs, ", "), a.Functions),
		total:   len(a.Keys),
		sm:      a.Model,
		loadErr: a.LoadErr,
		unread:  a.Unread,
		skipped: a.Skipped,
		skipWhy: "no weights: Keras 3 random-generator state, tf_keras metric accumulators, optimizer_v2 hyperparameters",
	}
	if r.loadErr != nil && a.Info.Keras != nil && a.Info.Keras.Class != "" {
		r.loadErr = fmt.Errorf("Keras model class %s: %w", a.Info.Keras.Class, r.loadErr)
	}
	if r.loadErr == nil && a.Info.Keras == nil && len(r.sm.Config) == 0 {
		r.noRun = fmt.Sprintf("a TensorFlow inference graph (Keras 3 export: signatures %s) without a Keras config, and kerasgo does not run TF graphs", strings.Join(sigs, ", "))
	}
	return r, nil
}

// crcNote says which checksums of a bundle were verified: all, or all but those of the
// unverified keys (variant tensors); and which tensors kerasgo cannot decode (their bytes are
// checked all the same).
func crcNote(checked int, undecodable, unverified []string) string {
	s := "every crc32c verified"
	if len(unverified) > 0 {
		s = fmt.Sprintf("%d crc32c verified, %d not (variant tensors, checksummed by TensorFlow in an encoding kerasgo does not read: %s)",
			checked, len(unverified), firstPaths(unverified, 5))
	}
	if len(undecodable) > len(unverified) {
		s += fmt.Sprintf(" (%d not decodable by kerasgo: %s)", len(undecodable), firstPaths(undecodable, 5))
	}
	return s
}

// firstPaths joins the first n paths with ", " and says how many more there are.
func firstPaths(paths []string, n int) string {
	if len(paths) <= n {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:n], ", "), len(paths)-n)
}

func countWeights(ls []saved.Layer) int {
	n := 0
	for _, l := range ls {
		n += len(l.Weights)
	}
	return n
}

// plural writes "1 layer", "2 layers".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func optimizerNote(has bool) string {
	if has {
		return ", optimizer state"
	}
	return ""
}
