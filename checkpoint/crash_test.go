//go:build unix

package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/crashtest"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// crashModel is a tf_keras model's weights and Adam state from testdata/train, every value
// shifted by gen so that each save is told apart.
func crashModel(t testing.TB, gen int) *saved.Model {
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(), "testdata", "train", "*", "state"))
	if len(dirs) == 0 {
		t.Fatal("no testdata/train fixtures (committed; run the generator)")
	}
	sort.Strings(dirs)
	m := loadState(t, dirs[0])
	shift := func(v *tensor.Tensor) {
		if d, ok := v.Data.([]float32); ok {
			for i := range d {
				d[i] += float32(gen)
			}
		}
	}
	for _, l := range m.Layers {
		for _, w := range l.Weights {
			shift(w.Value)
		}
	}
	if m.Optimizer != nil {
		m.Optimizer.Iterations = int64(gen)
		for _, s := range m.Optimizer.Slots {
			shift(s.Value)
		}
	}
	return m
}

// crashSave is one save of generation gen as each case makes it; the child process runs it
// with the kill armed, the parent to set up generation 1 and to save after the crash.
func crashSave(t testing.TB, kind, target string, gen int) error {
	switch kind {
	case "keras":
		return SaveKerasWeights(target, crashModel(t, gen))
	case "bundle":
		// Generation 2 has three shards where 1 and 3 have one: the old shards must go.
		opts := WriterOptions{}
		if gen == 2 {
			opts.MaxShardBytes = 1 << 17
		}
		w, err := NewWriter(target, opts)
		if err != nil {
			return err
		}
		ts := crashTensors(gen)
		for _, k := range sortedKeys(ts) {
			if err := w.Add(k, ts[k]); err != nil {
				w.Abort()
				return err
			}
		}
		return w.Close()
	case "merge":
		// Two workers write their halves, then the merge (all in the killed process).
		ts := crashTensors(gen)
		parts := []map[string]*tensor.Tensor{{}, {}}
		for i, k := range sortedKeys(ts) {
			parts[i%2][k] = ts[k]
		}
		var wps []string
		for i, p := range parts {
			wp, err := WriteShard(target, i, 2, p)
			if err != nil {
				return err
			}
			wps = append(wps, wp)
		}
		return MergeBundles(target, wps)
	case "manager":
		m := &Manager{Dir: target, MaxToKeep: 1}
		_, err := m.Save(func(p string) error {
			return crashSave(t, "bundle", p, gen)
		})
		return err
	}
	t.Fatalf("unknown case %q", kind)
	return nil
}

// TestCrashChild is the child process of TestCrashEveryStep: one save, killed at the step its
// parent says.
func TestCrashChild(t *testing.T) {
	arg, ok := crashtest.Child()
	if !ok {
		t.Skip("child process of TestCrashEveryStep")
	}
	kind, target, _ := strings.Cut(arg, "|")
	crashtest.Done(crashSave(t, kind, target, 2))
}

// generation reads the checkpoint at prefix and returns which save wrote it (1 or 2), failing
// the test for anything else: a torn bundle, a checksum error, a mix of two saves. With raw
// set it reads the files as they are (as TensorFlow would), without finishing a save first.
func generation(t *testing.T, kind, prefix string, raw bool) int {
	t.Helper()
	var r *Reader
	var err error
	if raw {
		r, err = ReaderOptions{}.open(prefix)
	} else {
		r, err = Open(prefix)
	}
	if err != nil {
		t.Fatalf("open %s: %v", prefix, err)
	}
	defer r.Close()
	if kind == "keras" {
		g, err := r.objectGraph()
		if err != nil {
			t.Fatal(err)
		}
		m, err := kerasFromGraph(r, g)
		if err != nil {
			t.Fatalf("load %s: %v", prefix, err)
		}
		gen := int(m.Optimizer.Iterations)
		compareModels(t, prefix, m, crashModel(t, gen), true)
		return gen
	}
	step, err := r.Read("step")
	if err != nil {
		t.Fatalf("%s: %v", prefix, err)
	}
	gen := int(step.Data.([]int64)[0])
	for k, want := range crashTensors(gen) {
		got, err := r.Read(k)
		if err != nil {
			t.Fatalf("%s: %v", prefix, err)
		}
		if !sameTensor(got, want) {
			t.Fatalf("%s: %s is not generation %d's", prefix, k, gen)
		}
	}
	return gen
}

// TestCrashEveryStep kills a save over an existing checkpoint at every step it takes (each
// write, sync, rename, link and removal; see atomicfile.Step) and checks what is left:
//
//   - as TensorFlow reads it, without kerasgo's recovery: the folder's state file names a
//     whole checkpoint, the old or the new one; the prefix holds the old or the new bundle,
//     or no index at all, never an index beside another save's data;
//   - as kerasgo loads it: the old or the new checkpoint, after which no temporary file is
//     left and the state file names the prefix;
//   - the next save succeeds and leaves exactly the files a save leaves.
func TestCrashEveryStep(t *testing.T) {
	for _, kind := range []string{"keras", "bundle", "manager", "merge"} {
		t.Run(kind, func(t *testing.T) {
			setup := func() (dir, target string) {
				dir = t.TempDir()
				target = filepath.Join(dir, "w")
				if kind == "manager" {
					target = dir
				}
				if err := crashSave(t, kind, target, 1); err != nil {
					t.Fatal(err)
				}
				return dir, target
			}
			dir, target := setup()
			after := listDir(t, dir) // generations 1 and 3 have the same files
			full := crashtest.Run(t, "TestCrashChild", 0, kind+"|"+target)
			if len(full.Steps) < 8 {
				t.Fatalf("a save took only %d steps: %v", len(full.Steps), full.Steps)
			}
			t.Logf("a save takes %d steps: %s", len(full.Steps), strings.Join(full.Steps, ", "))
			seen := map[int]bool{}
			for at := 1; at <= len(full.Steps); at++ {
				dir, target := setup()
				res := crashtest.Run(t, "TestCrashChild", at, kind+"|"+target)
				if !res.Killed {
					t.Fatalf("step %d (%s): the child was not killed", at, full.Steps[at-1])
				}
				where := fmt.Sprintf("killed at step %d (%s)", at, res.Steps[len(res.Steps)-1])
				t.Run(strconv.Itoa(at), func(t *testing.T) {
					seen[crashCheck(t, kind, dir, target, where)] = true
					// The next save finishes the job.
					if err := crashSave(t, kind, target, 3); err != nil {
						t.Fatalf("%s: next save: %v", where, err)
					}
					if got := listDir(t, dir); !sameNames(got, after, kind) {
						t.Errorf("%s: after the next save the folder holds %v, want %v", where, got, after)
					}
				})
			}
			if !seen[1] || !seen[2] {
				t.Errorf("crashes left generations %v: want some old and some new", seen)
			}
		})
	}
}

// crashCheck checks what a crash left and returns the generation kerasgo loads.
func crashCheck(t *testing.T, kind, dir, target, where string) int {
	t.Helper()
	prefix := target
	if kind == "manager" {
		p, err := Latest(dir)
		if err != nil {
			t.Fatalf("%s: Latest: %v", where, err)
		}
		prefix = p
	}
	// TensorFlow's view: the state file's latest checkpoint, then the prefix itself.
	if kind != "bundle" && kind != "merge" {
		latest, err := Latest(dir)
		if err != nil {
			t.Fatalf("%s: the state file names no whole checkpoint: %v", where, err)
		}
		generation(t, kind, latest, true)
	}
	if kind != "manager" {
		if _, err := os.Stat(IndexFile(prefix)); err == nil {
			generation(t, kind, prefix, true)
		}
	}
	// kerasgo's view, which finishes or rolls back the save.
	gen := generation(t, kind, prefix, false)
	// A load cleans up saves to the prefix it reads and to the state file (a Manager's
	// killed save to the next prefix is cleaned up by the next save, which reuses it).
	for _, n := range tempNames(t, dir) {
		if strings.HasPrefix(n, "."+filepath.Base(prefix)+".") || strings.HasPrefix(n, "."+StateFile+".") {
			t.Errorf("%s: temporary file %s left after a load", where, n)
		}
	}
	if kind == "keras" {
		s, err := ReadState(dir)
		if err != nil || s.ModelCheckpointPath != "w" {
			t.Errorf("%s: state after a load: %v %v", where, s, err)
		}
	}
	return gen
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func tempNames(t *testing.T, dir string) []string {
	return hidden(listDir(t, dir))
}

func hidden(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	return out
}

// sameNames compares folder listings; a Manager's checkpoint numbers depend on where the
// crash was, so only the count of its files is compared.
func sameNames(got, want []string, kind string) bool {
	if kind == "manager" {
		return len(got) == len(want) && len(hidden(got)) == 0
	}
	return strings.Join(got, " ") == strings.Join(want, " ")
}
