package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/objgraph"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

const verifyData = "../../testdata/verify"

// verifyManifest is testdata/verify/manifest.json: every file's variables as h5py or
// tf.train.list_variables list them.
type verifyManifest struct {
	Files []struct {
		Path      string   `json:"path"`
		Variables int      `json:"variables"`
		Names     []string `json:"names"`
	} `json:"files"`
}

func readVerifyManifest(t *testing.T) verifyManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(verifyData, "manifest.json"))
	if err != nil {
		t.Fatalf("testdata/verify is missing (run testdata/gen/generate.py --only verify): %v", err)
	}
	var m verifyManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 10 {
		t.Fatalf("manifest lists %d files, want 10", len(m.Files))
	}
	return m
}

// TestVerifyCountsEveryVariable runs ls and verify on real files of models kerasgo could not
// run before (some it runs now: nested models, the LSTM whose variables sit in its cell): ls lists exactly the variables h5py / tf.train.list_variables list, verify counts them
// all, says the files are sound (exit 0, "ok: "), and says separately, on the second line,
// whether kerasgo can run them, naming every variable the loader would have dropped.
func TestVerifyCountsEveryVariable(t *testing.T) {
	// What the second line must say, and which variables it must name.
	type want struct {
		verdict string   // "kerasgo can run: no", "kerasgo can run: weights only", ...
		mention []string // substrings of the second line
		unread  string   // manifest names with this prefix must all be named
	}
	wants := map[string]want{
		"lstm_keras3/model.keras":                   {"kerasgo can run: yes", []string{`Sequential "lstm_model"`, "accounts for all 17 variables"}, ""},
		"lstm_keras3/model.weights.h5":              {"kerasgo can run: weights only", []string{"accounts for all 17 variables"}, ""},
		"nested_functional_keras3/model.keras":      {"kerasgo can run: yes", []string{`Functional "outer"`, "accounts for all 20 variables"}, ""},
		"nested_functional_keras3/model.weights.h5": {"kerasgo can run: weights only", []string{"accounts for all 20 variables"}, ""},
		"nested_sequential_keras3/model.keras":      {"kerasgo can run: yes", []string{`Sequential "outer"`, "accounts for all 6 variables"}, ""},
		"nested_sequential_keras3/model.weights.h5": {"kerasgo can run: weights only", []string{"accounts for all 6 variables"}, ""},
		"nested_tfkeras/model.h5":                   {"kerasgo can run: yes", []string{`Functional "outer"`, "accounts for all 7 variables"}, ""},
		"nested_tfkeras/weights.h5":                 {"kerasgo can run: weights only", []string{"accounts for all 6 variables"}, ""},
		"subclassed_tfkeras/savedmodel":             {"kerasgo can run: no", []string{"Keras model class Subclassed", "no Keras layers"}, ""},
		"export_keras3/export":                      {"kerasgo can run: no", []string{"inference graph", "serve, serving_default", "accounts for all 5 variables"}, ""},
	}
	m := readVerifyManifest(t)
	for _, f := range m.Files {
		t.Run(f.Path, func(t *testing.T) {
			w, ok := wants[f.Path]
			if !ok {
				t.Fatalf("no expectation for %s", f.Path)
			}
			if len(f.Names) != f.Variables {
				t.Fatalf("manifest: %d names, %d variables", len(f.Names), f.Variables)
			}
			p := filepath.Join(verifyData, f.Path)

			// ls: every variable, nothing else (a SavedModel's listing leaves out the
			// bundle's object graph, which is no variable of the model).
			code, out, errs := runCLI(t, "ls", p)
			if code != 0 {
				t.Fatalf("ls: exit %d: %s", code, errs)
			}
			var listed []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if !strings.HasPrefix(line, "signature ") {
					listed = append(listed, strings.Split(line, "\t")[0])
				}
			}
			var wantLs []string
			for _, n := range f.Names {
				if n != checkpoint.ObjectGraphKey {
					wantLs = append(wantLs, n)
				}
			}
			sort.Strings(listed)
			sort.Strings(wantLs)
			if strings.Join(listed, "\n") != strings.Join(wantLs, "\n") {
				t.Errorf("ls lists\n%s\nwant\n%s", strings.Join(listed, "\n"), strings.Join(wantLs, "\n"))
			}

			// verify: sound, every variable counted, the verdict on its own line.
			code, out, errs = runCLI(t, "verify", p)
			if code != 0 {
				t.Fatalf("verify: exit %d, stderr %q, stdout %q", code, errs, out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) < 2 || !strings.HasPrefix(lines[0], "ok: ") || !strings.HasPrefix(lines[1], "kerasgo can run: ") {
				t.Fatalf("verify output:\n%s", out)
			}
			if !strings.Contains(lines[0], fmt.Sprintf(", %d variables, ", f.Variables)) {
				t.Errorf("first line does not count the file's %d variables: %s", f.Variables, lines[0])
			}
			if !strings.HasPrefix(lines[1], w.verdict+" — ") {
				t.Errorf("second line %q, want it to start with %q", lines[1], w.verdict)
			}
			for _, s := range w.mention {
				if !strings.Contains(lines[1], s) {
					t.Errorf("second line does not say %q: %s", s, lines[1])
				}
			}
			if w.unread != "" {
				n := 0
				for _, name := range f.Names {
					if strings.HasPrefix(name, w.unread) {
						n++
						if !strings.Contains(lines[1], name) {
							t.Errorf("unread variable %s not named: %s", name, lines[1])
						}
					}
				}
				if n == 0 {
					t.Errorf("manifest has no variable under %s", w.unread)
				}
			}
		})
	}
}

// TestVerifyCorruptKeras flips one byte of the weights inside a real .keras zip: verify
// must fail (exit 1, nothing on stdout) naming the zip checksum.
func TestVerifyCorruptKeras(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(verifyData, "lstm_keras3", "model.keras"))
	if err != nil {
		t.Fatal(err)
	}
	// The stored model.weights.h5 member holds the variables; flip a byte of its data.
	i := strings.Index(string(b), "model.weights.h5")
	if i < 0 {
		t.Fatal("no model.weights.h5 member")
	}
	b[i+len("model.weights.h5")+4000] ^= 0x01
	p := filepath.Join(t.TempDir(), "model.keras")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "verify", p)
	if code != 1 || out != "" || !strings.Contains(errs, "checksum") {
		t.Fatalf("verify of a corrupt .keras: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestVerifyPartialReadFails gives verify a sound checkpoint whose Keras loader reads the
// model but not every variable: a real tf_keras checkpoint rewritten with one more variable
// tracked by the root object, outside the model's layers and optimizer. verify must exit 1
// and say "1 of N variables not read" with its key, never "ok".
func TestVerifyPartialReadFails(t *testing.T) {
	src := filepath.Join(models, "..", "formats", "seed", "tfkeras", "ckpt", "weights")
	r, err := checkpoint.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	gt, err := r.Read(checkpoint.ObjectGraphKey)
	if err != nil {
		t.Fatal(err)
	}
	g, err := objgraph.ParseTrackable(gt)
	if err != nil {
		t.Fatal(err)
	}
	const extraKey = "extra_state/.ATTRIBUTES/VARIABLE_VALUE"
	g.Nodes[0].Children = append(g.Nodes[0].Children, &tfpb.TrackableObjectGraph_TrackableObject_ObjectReference{
		NodeId: int32(len(g.Nodes)), LocalName: "extra_state"})
	g.Nodes = append(g.Nodes, &tfpb.TrackableObjectGraph_TrackableObject{
		Attributes: []*tfpb.TrackableObjectGraph_TrackableObject_SerializedTensor{{
			Name: "VARIABLE_VALUE", FullName: "extra_state", CheckpointKey: extraKey}}})
	gb, err := proto.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "weights")
	w, err := checkpoint.NewWriter(dst, checkpoint.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range r.Entries() {
		if e.Key == checkpoint.ObjectGraphKey {
			continue
		}
		v, err := r.Read(e.Key)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(e.Key, v); err != nil {
			t.Fatal(err)
		}
		n++
	}
	extra, err := tensor.New(tensor.Float32, []int{3})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(extraKey, extra); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(checkpoint.ObjectGraphKey, &tensor.Tensor{DType: tensor.String, Shape: []int{}, Data: [][]byte{gb}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The original verifies as ok, weights only.
	if code, out, errs := runCLI(t, "verify", src); code != 0 || !strings.Contains(out, "\nkerasgo can run: weights only — ") {
		t.Fatalf("verify of the original: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "verify", dst)
	want := fmt.Sprintf("1 of %d variables not read by kerasgo's loader: %s", n+2, extraKey)
	if code != 1 || out != "" || !strings.Contains(errs, want) {
		t.Fatalf("verify of a partly read checkpoint: exit %d, stdout %q, stderr %q, want %q", code, out, errs, want)
	}
}
