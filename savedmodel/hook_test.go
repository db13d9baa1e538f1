package savedmodel

import "github.com/kerasgo/kerasgo/internal/atomicfile"

// atomicfileHook sets the save-step hook for a test.
func atomicfileHook(f func(string)) { atomicfile.TestHook = f }
