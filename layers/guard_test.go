package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// kerasLayerClasses are the class names of keras.layers in Keras 3.15.1 and tf_keras 2.21.0,
// made once with the project's venv by collecting every name in dir(keras.layers) and
// dir(tf_keras.layers) that is a subclass of the module's Layer class (170 names, union of
// both). The guard checks these together with every class the registry knows (Classes()), so
// a class that is not implemented yet is guarded too.
var kerasLayerClasses = []string{
	"AbstractRNNCell", "Activation", "ActivityRegularization", "AdaptiveAveragePooling1D",
	"AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D",
	"AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Add", "AdditiveAttention", "AlphaDropout",
	"Attention", "AugMix", "AutoContrast", "Average", "AveragePooling1D", "AveragePooling2D",
	"AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "BatchNormalization", "Bidirectional",
	"CategoryEncoding", "CenterCrop", "Concatenate", "ContrastLimitedAdaptiveHistogramEqualization",
	"Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
	"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Convolution1D", "Convolution1DTranspose",
	"Convolution2D", "Convolution2DTranspose", "Convolution3D", "Convolution3DTranspose",
	"Cropping1D", "Cropping2D", "Cropping3D", "CutMix", "Dense", "DenseFeatures", "DepthwiseConv1D",
	"DepthwiseConv2D", "Discretization", "Dot", "Dropout", "ELU", "EinsumDense", "Embedding",
	"Equalization", "Flatten", "FlaxLayer", "GRU", "GRUCell", "GaussianDropout", "GaussianNoise",
	"GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalAvgPool1D",
	"GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
	"GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GroupNormalization",
	"GroupQueryAttention", "HashedCrossing", "Hashing", "Identity", "InputLayer", "IntegerLookup",
	"JaxLayer", "LSTM", "LSTMCell", "Lambda", "Layer", "LayerNormalization", "LeakyReLU",
	"LocallyConnected1D", "LocallyConnected2D", "Masking", "MaxNumBoundingBoxes", "MaxPool1D",
	"MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Maximum",
	"MelSpectrogram", "Minimum", "MixUp", "MultiHeadAttention", "Multiply", "Normalization", "PReLU",
	"Permute", "Pipeline", "RMSNormalization", "RNN", "RandAugment", "RandomBrightness",
	"RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop",
	"RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomGaussianBlur", "RandomGrayscale",
	"RandomHeight", "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization",
	"RandomRotation", "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation",
	"RandomWidth", "RandomZoom", "ReLU", "RepeatVector", "Rescaling", "Reshape", "Resizing",
	"ReversibleEmbedding", "STFTSpectrogram", "SeparableConv1D", "SeparableConv2D",
	"SeparableConvolution1D", "SeparableConvolution2D", "SimpleRNN", "SimpleRNNCell", "Softmax",
	"Solarization", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
	"SpectralNormalization", "StackedRNNCells", "StringLookup", "Subtract", "TFSMLayer",
	"TextVectorization", "ThresholdedReLU", "TimeDistributed", "TorchModuleWrapper",
	"UnitNormalization", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Wrapper", "ZeroPadding1D",
	"ZeroPadding2D", "ZeroPadding3D",
}

// guardAllowed are the class-name literals a package outside layers/ may hold, by file
// (slash path from the repository root) and literal: the InputLayer constant is structural
// (the input of a Sequential config), not a layer kerasgo implements in layers/.
var guardAllowed = map[string]string{
	"saved/saved.go": "InputLayer",
}

// tfOpNames are the Keras layer class names that are also TensorFlow op types (the names in
// both the class list above and dir(tf.raw_ops) of TensorFlow 2.21). Package savedmodel, which
// writes TF graphs, may hold them as op types, but never as a switch case or an == / !=
// operand (that is where a switch on a layer class would hide).
var tfOpNames = map[string]bool{
	"Add": true, "AvgPool3D": true, "Conv2D": true, "Conv3D": true, "Identity": true,
	"MaxPool3D": true, "Maximum": true, "Minimum": true, "RandomCrop": true, "Reshape": true,
	"Softmax": true,
}

// tfOpDirs are the directories (slash paths from the repository root) whose non-comparison
// literals may be TF op types (tfOpNames).
var tfOpDirs = map[string]bool{"savedmodel": true}

// TestNoLayerClassLiteralsOutsideLayers fails for every string literal in non-test Go code
// outside layers/ that equals a Keras layer class name: what kerasgo knows about a layer class
// lives in its file in layers/, and the other packages get it from there (through the layer,
// saved.Layer, or the registry), never by switching on a class name.
func TestNoLayerClassLiteralsOutsideLayers(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	bad := findClassLiterals(t, root, classNameSet())
	for _, b := range bad {
		t.Errorf("%s: Keras layer class name %s as a string literal outside layers/ (use the layer, saved.Layer or the layers registry)", b.pos, strconv.Quote(b.lit))
	}
}

// TestGuardFindsClassLiterals checks that the guard's scan reports a class literal (and only
// outside layers/, test files and the allowed constant), so the guard above cannot pass by
// scanning nothing.
func TestGuardFindsClassLiterals(t *testing.T) {
	root := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module x\n")
	write("h5/a.go", "package h5\n\nvar m = map[string]string{\"x\": `Conv2D`}\n\nfunc f(c string) bool { return c == \"LSTM\" || c == \"lstm\" }\n")
	write("h5/a_test.go", "package h5\n\nvar t = \"Dense\"\n")
	write("layers/dense.go", "package layers\n\nvar c = \"Dense\"\n")
	write("saved/saved.go", "package saved\n\nconst InputLayerClass = \"InputLayer\"\n")
	write("model/m.go", "package model\n\nvar s = \"InputLayer\"\n")
	write("h5/testdata/gen.go", "package gen\n\nvar s = \"Dense\"\n")
	write("savedmodel/w.go", "package savedmodel\n\nvar op = add(\"Identity\", \"Conv2D\")\n\n"+
		"func g(c string) {\n\tswitch c {\n\tcase \"Conv2D\":\n\t}\n\t_ = c != \"Identity\"\n\t_ = \"Dense\"\n}\n")
	got := findClassLiterals(t, root, classNameSet())
	var lines []string
	for _, b := range got {
		lines = append(lines, b.pos+" "+b.lit)
	}
	want := []string{"h5/a.go:3 Conv2D", "h5/a.go:5 LSTM", "model/m.go:3 InputLayer",
		"savedmodel/w.go:7 Conv2D", "savedmodel/w.go:9 Identity", "savedmodel/w.go:10 Dense"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("guard found\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func classNameSet() map[string]bool {
	set := map[string]bool{}
	for _, c := range kerasLayerClasses {
		set[c] = true
	}
	for _, c := range Classes() {
		set[c] = true
	}
	return set
}

type classLiteral struct{ pos, lit string }

// findClassLiterals parses every non-test .go file under root outside layers/ (skipping
// testdata and hidden directories) and returns the string literals found in names, as
// "path:line" (slash path relative to root), in walk (lexical) and source order.
func findClassLiterals(t *testing.T, root string, names map[string]bool) []classLiteral {
	t.Helper()
	var out []classLiteral
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (rel == "layers" || base == "testdata" || base == "vendor" ||
				strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		// Literals in a switch case or compared with == / != are never exempt as TF op types.
		compared := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CaseClause:
				for _, e := range n.List {
					if bl, ok := e.(*ast.BasicLit); ok {
						compared[bl] = true
					}
				}
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					for _, e := range []ast.Expr{n.X, n.Y} {
						if bl, ok := e.(*ast.BasicLit); ok {
							compared[bl] = true
						}
					}
				}
			}
			return true
		})
		opDir := tfOpDirs[strings.SplitN(rel, "/", 2)[0]]
		ast.Inspect(f, func(n ast.Node) bool {
			bl, ok := n.(*ast.BasicLit)
			if !ok || bl.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(bl.Value)
			if err != nil || !names[s] || guardAllowed[rel] == s {
				return true
			}
			if opDir && tfOpNames[s] && !compared[bl] {
				return true
			}
			out = append(out, classLiteral{pos: rel + ":" + strconv.Itoa(fset.Position(bl.Pos()).Line), lit: s})
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("guard: no Go files under %s", root)
	}
	return out
}
