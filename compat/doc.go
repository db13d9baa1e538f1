// Package compat is kerasgo's compatibility suite: its tests write files with kerasgo, then run
// real TensorFlow and Keras (the pinned versions in testdata/gen/requirements.txt, from the
// project's .venv) on them through the scripts in compat/py, and compare what Python computes
// with what Go computes.
//
// The tests need KERASGO_PYTHON, the path to that virtualenv's python; `make test` sets it.
// Without it they skip, unless KERASGO_COMPAT=1, in which case they fail: a skipped
// compatibility check is not a pass.
package compat
