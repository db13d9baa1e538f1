//go:build cgo

package h5

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
)

// shardedFixture is Keras 3.15's save_weights("w.weights.json", max_shard_size=1e-6) of the
// model of layouts/unzipped (testdata/gen/layouts.py).
var shardedFixture = filepath.Join(layoutsDir, "sharded", "w.weights.json")

// fixtureShardBytes is Keras's 1e-6 GB in bytes, rounded down (sizes are whole bytes).
const fixtureShardBytes = 1073

// TestShardedWeightsRead: Load, ReadWeightsFile, List and Audit read the manifest of Keras 3
// sharded weights as the whole model: the weights of layouts/unzipped_dump bit for bit and
// the Adam state; one shard beside its manifest is refused, naming the manifest.
func TestShardedWeightsRead(t *testing.T) {
	m, err := Load(shardedFixture)
	if err != nil {
		t.Fatal(err)
	}
	// Without a config the weightless Flatten's place is unknown (see the package doc).
	checkWeightsUnordered(t, filepath.Join(layoutsDir, "unzipped_dump"), m)
	dir, err := Load(filepath.Join(layoutsDir, "unzipped"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Optimizer == nil || len(m.Optimizer.Variables) != len(dir.Optimizer.Variables) {
		t.Fatalf("optimizer %+v, want %d variables", m.Optimizer, len(dir.Optimizer.Variables))
	}
	for i, v := range dir.Optimizer.Variables {
		if !sameTensor(m.Optimizer.Variables[i], v) {
			t.Errorf("optimizer variable %d differs from the unzipped model's", i)
		}
	}
	vars, err := List(shardedFixture)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := List(filepath.Join(layoutsDir, "unzipped"))
	if len(vars) != len(want) {
		t.Errorf("List: %d datasets, want %d", len(vars), len(want))
	}
	if _, err := ReadWeightsFile(shardedFixture); err != nil {
		t.Errorf("ReadWeightsFile: %v", err)
	}
	if r, err := Audit(shardedFixture); err != nil || r.LoadErr != nil {
		t.Errorf("Audit: %v %v", err, r)
	}
	shard := filepath.Join(layoutsDir, "sharded", "w_00001.weights.h5")
	if _, err := Load(shard); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), shard) || !strings.Contains(err.Error(), "w.weights.json") {
		t.Errorf("Load one shard: %v", err)
	}
	// A shard without its manifest is an ordinary Keras 3 weights file to this package.
	d := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(layoutsDir, "sharded", "w_00000.weights.h5"))
	os.WriteFile(filepath.Join(d, "w_00000.weights.h5"), b, 0o644)
	if _, err := Load(filepath.Join(d, "w_00000.weights.h5")); errors.Is(err, ErrUnsupported) && strings.Contains(err.Error(), "shard") {
		t.Errorf("lone shard: %v", err)
	}
}

// shardTree describes an HDF5 file as lines "path group|dataset attrs [sha256 of the data]".
func shardTree(t *testing.T, path string) []string {
	t.Helper()
	defer lockLib()()
	h, err := openChecked(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	var out []string
	var walk func(p string)
	walk = func(p string) {
		attrs, err := h.attrNames(p)
		if err != nil {
			t.Fatal(err)
		}
		var av []string
		for _, a := range attrs {
			v, err := h.readString(p, a)
			if err != nil {
				t.Fatalf("%s@%s: %v", p, a, err)
			}
			av = append(av, a+"="+v)
		}
		out = append(out, fmt.Sprintf("%s group %v", pathOrRoot(p), av))
		c, err := h.children(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range c.datasets {
			dp := joinPath(p, d)
			x, err := h.readTensor(dp, 0)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := x.AppendBytes(nil)
			out = append(out, fmt.Sprintf("%s dataset %s %v %x", dp, x.DType, x.Shape, sha256.Sum256(raw)))
		}
		for _, g := range c.groups {
			walk(joinPath(p, g))
		}
	}
	walk("")
	sort.Strings(out)
	return out
}

// TestShardedWeightsWrite: Go's sharded save of the model Keras sharded writes the same files:
// the manifest byte for byte, and each shard with the same groups, "name" attributes and
// variables, for the same model read from the unzipped .keras directory (config, Adam slots by
// layout). (A model read from weights alone has no config, hence no name for the root vars
// group: TestShardedWeightsSaveRules rereads such a save.)
func TestShardedWeightsWrite(t *testing.T) {
	wantJSON, err := os.ReadFile(shardedFixture)
	if err != nil {
		t.Fatal(err)
	}
	wantShards, _ := filepath.Glob(filepath.Join(layoutsDir, "sharded", "w_*.weights.h5"))
	for _, src := range []string{filepath.Join(layoutsDir, "unzipped")} {
		m, err := Load(src)
		if err != nil {
			t.Fatal(err)
		}
		d := t.TempDir()
		out := filepath.Join(d, "w.weights.json")
		if err := SaveWeightsKeras3Sharded(out, m, fixtureShardBytes); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, wantJSON) {
			t.Errorf("%s: manifest\n%s\nwant\n%s", src, got, wantJSON)
		}
		gotShards, _ := filepath.Glob(filepath.Join(d, "w_*.weights.h5"))
		if len(gotShards) != len(wantShards) {
			t.Fatalf("%s: shards %v, want %v", src, gotShards, wantShards)
		}
		for i := range wantShards {
			g, w := shardTree(t, gotShards[i]), shardTree(t, wantShards[i])
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("%s: shard %d:\n%s\nwant\n%s", src, i, strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
		}
		ents, _ := os.ReadDir(d)
		if len(ents) != len(wantShards)+1 {
			t.Errorf("%s: left in the folder: %v", src, ents)
		}
	}
}

// TestShardedWeightsSaveRules: a .weights.h5 name saves to the .weights.json beside it; a
// variable larger than the maximum is refused and leaves nothing; a second save with fewer
// shards removes the first save's extra shards; a save holding the lock makes another fail
// with ErrBusy.
func TestShardedWeightsSaveRules(t *testing.T) {
	m, err := Load(shardedFixture)
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	if err := SaveWeightsKeras3Sharded(filepath.Join(d, "w.weights.h5"), m, fixtureShardBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "w.weights.json")); err != nil {
		t.Fatal(err)
	}
	if err := SaveWeightsKeras3Sharded(filepath.Join(d, "w.weights.json"), m, 1<<20); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(d); len(ents) != 2 {
		t.Errorf("after the one-shard save: %v", ents)
	}
	m2, err := Load(filepath.Join(d, "w.weights.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkWeightsUnordered(t, filepath.Join(layoutsDir, "unzipped_dump"), m2)
	for i, v := range m.Optimizer.Variables {
		if !sameTensor(m2.Optimizer.Variables[i], v) {
			t.Errorf("optimizer variable %d changed in the round trip", i)
		}
	}
	e := t.TempDir()
	err = SaveWeightsKeras3Sharded(filepath.Join(e, "x.weights.json"), m, 8)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "maximum shard size") {
		t.Errorf("too small a maximum: %v", err)
	}
	if ents, _ := os.ReadDir(e); len(ents) != 0 {
		t.Errorf("a refused save left %v", ents)
	}
	if err := SaveWeightsKeras3Sharded(filepath.Join(e, "x.json"), m, 1<<20); !errors.Is(err, ErrFormat) {
		t.Errorf("bad name: %v", err)
	}
	l, err := atomicfile.Acquire(filepath.Join(d, "w.weights.json"), false)
	if err != nil {
		t.Fatal(err)
	}
	err = SaveWeightsKeras3Sharded(filepath.Join(d, "w.weights.json"), m, 1<<20)
	l.Release()
	if !errors.Is(err, ErrBusy) {
		t.Errorf("save while locked: %v", err)
	}
}

// TestShardedWeightsBadManifest: manifests naming files outside their folder, missing
// shards, or malformed JSON fail with ErrFormat (or the missing file) naming the manifest.
func TestShardedWeightsBadManifest(t *testing.T) {
	d := t.TempDir()
	for name, body := range map[string]string{
		"escape": `{"metadata": {"total_size": 1.0}, "weight_map": {"/vars": "../w_00000.weights.h5"}}`,
		"nomap":  `{"metadata": {}}`,
		"type":   `{"weight_map": {"/vars": 3}}`,
		"json":   `{"weight_map": `,
		"huge":   `{"metadata": {"total_size": 1e30}, "weight_map": {"/vars": "x.h5"}}`,
	} {
		p := filepath.Join(d, name+".weights.json")
		os.WriteFile(p, []byte(body), 0o644)
		_, err := Load(p)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p := filepath.Join(d, "gone.weights.json")
	os.WriteFile(p, []byte(`{"weight_map": {"/vars": "gone_00003.weights.h5"}}`), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "gone_00003.weights.h5") {
		t.Errorf("missing shard: %v", err)
	}
}
