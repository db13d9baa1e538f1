package saved

import "testing"

func TestRegisterClass(t *testing.T) {
	RegisterClass(ClassFacts{Class: "TestOnlyLayer", Aliases: []string{"TestOnlyAlias"}, BaseName: "test_only_layer"})
	for _, c := range []string{"TestOnlyLayer", "TestOnlyAlias"} {
		if f, ok := Facts(c); !ok || f.Class != "TestOnlyLayer" {
			t.Errorf("Facts(%s) = %+v, %v", c, f, ok)
		}
	}
	if f, ok := ClassFor("test_only_layer"); !ok || f.Class != "TestOnlyLayer" {
		t.Errorf("ClassFor = %+v, %v", f, ok)
	}
	if _, ok := ClassFor("test_only_alias"); ok {
		t.Error("ClassFor found an alias's base name")
	}
	if f, ok := ClassFor("input_layer"); !ok || f.Class != InputLayerClass {
		t.Errorf("ClassFor(input_layer) = %+v, %v", f, ok)
	}
	for _, f := range []ClassFacts{{}, {Class: "TestOnlyAlias"}, {Class: "Other", BaseName: "test_only_layer"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterClass(%+v) did not panic", f)
				}
			}()
			RegisterClass(f)
		}()
	}
	if _, ok := Facts("Other"); ok {
		t.Error("a refused registration left its class registered")
	}
	found := false
	for _, c := range RegisteredClasses() {
		found = found || c == "TestOnlyLayer"
	}
	if !found {
		t.Error("RegisteredClasses misses TestOnlyLayer")
	}
}
