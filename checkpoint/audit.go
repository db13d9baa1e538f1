package checkpoint

import (
	"errors"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/saved"
)

// Report is what Audit finds in a bundle.
type Report struct {
	// Prefix is the bundle read (the latest checkpoint when Audit was given a folder).
	Prefix string
	// Entries is every tensor the index lists, sorted by key, the object graph included.
	Entries []Entry
	// Checked counts the tensors, and slices of partitioned variables, whose checksums were
	// verified: all but Unverified.
	Checked int
	// Unreadable lists the keys of entries this package cannot read as tensors: partitioned
	// variables (their slices are checked) and dtypes it does not decode (their bytes are
	// checked).
	Unreadable []string
	// Unverified lists the keys whose checksums could not be checked (variant tensors).
	Unverified []string
	// Model is what LoadKerasWeights returns; nil when LoadErr is set.
	Model *saved.Model
	// LoadErr is why LoadKerasWeights does not read this sound bundle (it wraps
	// ErrUnsupported); nil when Model is set.
	LoadErr error
	// Unread lists, sorted, the keys the loader did not read when it read the bundle,
	// other than Skipped: the returned model lacks them.
	Unread []string
	// Skipped lists the keys the loader leaves out by design, which are no weights: the
	// save counter tf.train.Checkpoint keeps (save_counter) and the metric accumulators of a
	// tf_keras SavedModel's bundle (keras_api/metrics/...), and the scalar hyperparameters
	// tf_keras's optimizer_v2 (tf_keras <= 2.10) stores as variables (optimizer/beta_1,
	// decay, ...: kerasgo keeps the iteration count and learning rate only).
	Skipped []string
}

// SkippedByDesign reports a tensor that kerasgo's Keras loaders leave out because it is no
// weight (see Report.Skipped): the save counter, a tf_keras metric accumulator, or an
// optimizer_v2 hyperparameter (a scalar directly under an "optimizer" node).
func SkippedByDesign(key string, shape []int) bool {
	if key == saveCounterKey || strings.HasPrefix(key, kerasMetricsPrefix) {
		return true
	}
	k, ok := strings.CutSuffix(key, attributesSuffix)
	if !ok || len(shape) != 0 {
		return false
	}
	parts := strings.Split(k, "/")
	return len(parts) >= 2 && parts[len(parts)-2] == "optimizer"
}

const (
	// saveCounterKey is where tf.train.Checkpoint stores how many times it saved.
	saveCounterKey = "save_counter" + attributesSuffix
	// kerasMetricsPrefix starts the keys of tf_keras's metric accumulators (total, count).
	kerasMetricsPrefix = "keras_api/metrics/"
)

// Audit checks a whole bundle: it reads every tensor (verifying every checksum and size),
// parses the object graph and checks that every tensor it names exists and every tensor
// of the bundle has a node, then runs LoadKerasWeights, recording the tensors it reads.
// It returns an error when the bundle is not sound; a sound bundle that LoadKerasWeights
// does not handle gives a Report with LoadErr set. prefix may be a folder holding a
// `checkpoint` state file.
func Audit(prefix string) (*Report, error) {
	if _, err := ReadState(prefix); err == nil {
		p, err := Latest(prefix)
		if err != nil {
			return nil, err
		}
		prefix = p
	}
	r, err := Open(prefix)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rep := &Report{Prefix: prefix, Entries: r.Entries()}
	v, err := r.verify()
	if err != nil {
		return nil, err
	}
	rep.Checked, rep.Unreadable, rep.Unverified = v.Checked, v.Undecodable, v.Unverified
	read := map[string]bool{}
	m, err := ReaderOptions{OnRead: func(k string) { read[k] = true }}.LoadKerasWeights(prefix)
	if err != nil {
		if !errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		rep.LoadErr = err
		return rep, nil
	}
	rep.Model = m
	for _, e := range r.entries {
		switch {
		case read[e.Key]:
		case SkippedByDesign(e.Key, e.Shape):
			rep.Skipped = append(rep.Skipped, e.Key)
		default:
			rep.Unread = append(rep.Unread, e.Key)
		}
	}
	sort.Strings(rep.Unread)
	return rep, nil
}
