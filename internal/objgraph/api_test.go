package objgraph

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoProtobufInAPI: the exported API of the codec packages names no generated protobuf
// type (STYLE: those stay internal).
func TestNoProtobufInAPI(t *testing.T) {
	for _, dir := range []string{"../../checkpoint", "../../savedmodel", "../../h5"} {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			pbNames := map[string]bool{}
			for _, imp := range f.Imports {
				if strings.HasSuffix(imp.Path.Value, `/internal/tfpb"`) {
					name := "tfpb"
					if imp.Name != nil {
						name = imp.Name.Name
					}
					pbNames[name] = true
				}
			}
			if len(pbNames) == 0 {
				continue
			}
			usesPB := func(n ast.Node) bool {
				found := false
				ast.Inspect(n, func(n ast.Node) bool {
					if s, ok := n.(*ast.SelectorExpr); ok {
						if id, ok := s.X.(*ast.Ident); ok && pbNames[id.Name] {
							found = true
						}
					}
					return !found
				})
				return found
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() {
						continue
					}
					if d.Recv != nil {
						recv := d.Recv.List[0].Type
						if st, ok := recv.(*ast.StarExpr); ok {
							recv = st.X
						}
						if id, ok := recv.(*ast.Ident); ok && !id.IsExported() {
							continue
						}
					}
					if usesPB(d.Type) {
						t.Errorf("%s: exported %s names a protobuf type", path, d.Name.Name)
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						ts, ok := s.(*ast.TypeSpec)
						if !ok || !ts.Name.IsExported() {
							continue
						}
						st, ok := ts.Type.(*ast.StructType)
						if !ok {
							if usesPB(ts.Type) {
								t.Errorf("%s: exported type %s is a protobuf type", path, ts.Name.Name)
							}
							continue
						}
						for _, fl := range st.Fields.List {
							exported := len(fl.Names) == 0
							for _, n := range fl.Names {
								exported = exported || n.IsExported()
							}
							if exported && usesPB(fl.Type) {
								t.Errorf("%s: exported field of %s names a protobuf type", path, ts.Name.Name)
							}
						}
					}
				}
			}
		}
	}
}
