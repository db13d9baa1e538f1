package h5

import "github.com/kerasgo/kerasgo/internal/atomicfile"

// setStepHook sets the save-step hook for a test.
func setStepHook(f func(string)) { atomicfile.TestHook = f }
