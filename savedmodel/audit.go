package savedmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/objgraph"
	pb "github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/saved"
)

// Report is what Audit finds in a SavedModel directory.
type Report struct {
	// Info is what Inspect returns.
	Info *Info
	// Files lists the files read and checked, relative to the directory: saved_model.pb,
	// keras_metadata.pb when present, and the index and data shards of variables/.
	Files []string
	// Keys is every tensor of the variables bundle (the object graph included), sorted.
	Keys []string
	// Checked counts the bundle tensors (and slices) whose checksums were verified;
	// Unreadable lists the tensors kerasgo cannot read as tensors (partitioned variables,
	// dtypes it does not decode: their bytes are checked all the same) and Unverified those
	// whose checksums could not be checked (variant tensors).
	Checked    int
	Unreadable []string
	Unverified []string
	// Functions counts the functions of the object graph (traced tf.functions and concrete
	// functions): what a TensorFlow runtime would run.
	Functions int
	// Model is what Load returns; nil when LoadErr is set.
	Model *saved.Model
	// LoadErr is why Load does not read this sound directory (it wraps ErrUnsupported);
	// nil when Model is set.
	LoadErr error
	// Unread lists, sorted, the bundle keys Load did not read when it read the directory,
	// other than Skipped: the returned model lacks them.
	Unread []string
	// Skipped lists the keys Load leaves out by design, which are no weights: the
	// random-generator state of Keras 3 layers (seed_generator_state) and what
	// checkpoint.SkippedByDesign names (metric accumulators, optimizer_v2 hyperparameters).
	Skipped []string
}

// Audit checks a whole SavedModel directory: saved_model.pb and keras_metadata.pb parse,
// every tensor of variables/ is read with its checksums, the bundle's object graph names
// only tensors it has and matches the SavedObjectGraph (node for node, every variable with
// a value). Then it runs Load, recording the tensors it reads. It returns an error when the
// directory is not sound; a sound directory that Load does not handle gives a Report with
// LoadErr set.
func Audit(dir string) (*Report, error) { return ReaderOptions{}.Audit(dir) }

// Audit is Audit with options.
func (o ReaderOptions) Audit(dir string) (*Report, error) {
	info, err := o.Inspect(dir)
	if err != nil {
		return nil, err
	}
	sm, err := readSavedModel(dir, o)
	if err != nil {
		return nil, err
	}
	rep := &Report{Info: info}
	if _, err := os.Stat(filepath.Join(dir, SavedModelFile)); err == nil {
		rep.Files = append(rep.Files, SavedModelFile)
	} else {
		rep.Files = append(rep.Files, SavedModelTxtFile)
	}
	if _, err := os.Stat(filepath.Join(dir, KerasMetadataFile)); err == nil {
		rep.Files = append(rep.Files, KerasMetadataFile)
	}
	og := serveGraph(sm).GetObjectGraphDef()
	for _, n := range og.GetNodes() {
		if n.GetFunction() != nil || n.GetBareConcreteFunction() != nil {
			rep.Functions++
		}
	}
	prefix := variablesPrefix(dir)
	if err := checkVariables(dir, og); err != nil {
		return nil, err
	}
	if _, err := os.Stat(checkpoint.IndexFile(prefix)); err == nil {
		if err := rep.checkBundle(dir, prefix, og); err != nil {
			return nil, err
		}
	}

	read := map[string]bool{objectGraphKey: true} // checked above; Load follows the SavedObjectGraph
	lo := o
	lo.onRead = func(k string) { read[k] = true }
	m, err := lo.Load(dir)
	if err != nil {
		if !errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		rep.LoadErr = err
		return rep, nil
	}
	rep.Model = m
	// A Keras 3 export also tracks the variables its functions capture (_all_variables):
	// the same variables as the root's list, under other keys. One with the name and shape
	// of a variable Load read is that variable.
	type nameShape struct {
		name  string
		shape string
	}
	loaded := map[nameShape]bool{}
	for _, v := range info.Variables {
		if read[v.Key] && v.FullName != "" {
			loaded[nameShape{v.FullName, fmt.Sprint(v.Shape)}] = true
		}
	}
	for _, v := range info.Variables {
		switch {
		case read[v.Key]:
		case strings.HasPrefix(v.Key, "_all_variables/") && loaded[nameShape{v.FullName, fmt.Sprint(v.Shape)}]:
		case strings.HasSuffix(v.FullName, "seed_generator_state"), checkpoint.SkippedByDesign(v.Key, v.Shape):
			rep.Skipped = append(rep.Skipped, v.Key)
		default:
			rep.Unread = append(rep.Unread, v.Key)
		}
	}
	return rep, nil
}

// checkVariables checks that a SavedModel has what TensorFlow always writes: the variables/
// directory, and in it the bundle's index when the model has an object graph og (TF2 saves
// one even without variables). A TF1 model without variables has an empty variables/
// directory.
func checkVariables(dir string, og *pb.SavedObjectGraph) error {
	savedVars := 0
	for _, n := range og.GetNodes() {
		if n.GetVariable() != nil {
			savedVars++
		}
	}
	vdir := filepath.Join(dir, VariablesDir)
	if st, err := os.Stat(vdir); err != nil || !st.IsDir() {
		return &Error{Path: dir, Err: formatErr("no %s directory (TensorFlow writes one with every SavedModel)", VariablesDir)}
	}
	index := filepath.Join(VariablesDir, filepath.Base(checkpoint.IndexFile(variablesPrefix(dir))))
	if _, err := os.Stat(filepath.Join(dir, index)); err == nil {
		return nil
	}
	switch {
	case savedVars > 0:
		return &Error{Path: dir, Err: formatErr("the object graph has %d variables but there is no %s", savedVars, index)}
	case og != nil:
		return &Error{Path: dir, Err: formatErr("no %s (TensorFlow 2 writes it with every SavedModel, even without variables)", index)}
	}
	return nil
}

// checkBundle reads every tensor of the variables bundle (checkpoint.Verify) and checks its
// object graph against the SavedObjectGraph og: every variable node has a value in the
// bundle.
func (rep *Report) checkBundle(dir, prefix string, og *pb.SavedObjectGraph) error {
	isVar := func(i int) bool { return og.Nodes[i].GetVariable() != nil }
	haveGraph := og != nil
	v, err := checkpoint.VerifyAll(prefix)
	if err != nil {
		return variablesErr(dir, err)
	}
	rep.Checked, rep.Unreadable, rep.Unverified = v.Checked, v.Undecodable, v.Unverified
	r, err := checkpoint.Open(prefix)
	if err != nil {
		return variablesErr(dir, err)
	}
	defer r.Close()
	rep.Files = append(rep.Files, filepath.Join(VariablesDir, filepath.Base(checkpoint.IndexFile(prefix))))
	for i := 0; i < r.NumShards(); i++ {
		rep.Files = append(rep.Files, filepath.Join(VariablesDir, filepath.Base(checkpoint.DataFile(prefix, i, r.NumShards()))))
	}
	for _, e := range r.Entries() {
		rep.Keys = append(rep.Keys, e.Key)
	}
	sort.Strings(rep.Keys)
	if !haveGraph || !r.Has(objectGraphKey) {
		return nil
	}
	t, err := r.Read(objectGraphKey)
	if err != nil {
		return variablesErr(dir, err)
	}
	g, err := objgraph.ParseTrackable(t)
	if err != nil {
		return &Error{Path: checkpoint.IndexFile(prefix), Object: objectGraphKey, Err: formatErr("%v", err)}
	}
	// TensorFlow matches the two graphs by path from the root (the bundle's graph may lack
	// nodes without state, such as functions): every variable of saved_model.pb must reach
	// a node with a value in the bundle.
	ckptNode := map[string]int{}
	for i, p := range trackablePaths(g) {
		if p != "" {
			ckptNode[p] = i
		}
	}
	for i, p := range objectPaths(og) {
		if !isVar(i) || p == "" {
			continue
		}
		ci, ok := ckptNode[p]
		hasValue := false
		if ok {
			for _, a := range g.Nodes[ci].Attributes {
				if a.Name == "VARIABLE_VALUE" {
					hasValue = true
				}
			}
		}
		if !hasValue {
			return &Error{Path: dir, Object: p, Err: formatErr("variable %d of saved_model.pb has no value in variables/", i)}
		}
	}
	return nil
}

// trackablePaths names each node of a checkpoint's object graph by its breadth-first path
// from the root, as objectPaths does for a SavedObjectGraph ("" for unreachable nodes).
func trackablePaths(g *pb.TrackableObjectGraph) []string {
	paths := make([]string, len(g.Nodes))
	if len(g.Nodes) == 0 {
		return paths
	}
	paths[0] = "root"
	seen := make([]bool, len(g.Nodes))
	seen[0] = true
	q := []int{0}
	for len(q) > 0 {
		n := q[0]
		q = q[1:]
		for _, c := range g.Nodes[n].Children {
			if !seen[c.NodeId] {
				seen[c.NodeId] = true
				paths[c.NodeId] = paths[n] + "." + c.LocalName
				q = append(q, int(c.NodeId))
			}
		}
	}
	return paths
}
