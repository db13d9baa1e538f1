//go:build unix

// Package crashtest runs a save in a child process (the test binary itself) that kills itself
// with SIGKILL at a chosen step of the save (atomicfile.Step), so that tests can check what
// every possible crash leaves on disk. Only tests import it.
package crashtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kerasgo/kerasgo/internal/atomicfile"
)

// env carries the child's instructions: "STEP|ARG" (STEP 0: never die, report the count).
const env = "KERASGO_CRASH_CHILD"

// Child reports whether this process is a crash child, and if so arms the hook and returns
// the argument its parent passed. The child test calls it first, does its one save, then calls
// Done.
func Child() (arg string, ok bool) {
	spec, ok := os.LookupEnv(env)
	if !ok {
		return "", false
	}
	at, arg, _ := strings.Cut(spec, "|")
	n, _ := strconv.Atoi(at)
	step := 0
	atomicfile.TestHook = func(name string) {
		step++
		fmt.Printf("STEP %d %s\n", step, name)
		if step == n {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
	return arg, true
}

// Done ends the child, reporting the save's error if it has one.
func Done(err error) {
	if err != nil {
		fmt.Printf("ERROR %v\n", err)
		os.Exit(3)
	}
	fmt.Printf("DONE\n")
	os.Exit(0)
}

// Result is what a child run did.
type Result struct {
	Steps  []string // the steps it reached, in order (the last one is where it died)
	Killed bool
	Err    string // the error the save returned, if it returned one
}

// Run runs the test named child (a test function that calls Child) in a child process that
// dies at step at (never when at is 0), passing it arg.
func Run(t testing.TB, child string, at int, arg string) Result {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d|%s", env, at, arg))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var r Result
	var last string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if s, ok := strings.CutPrefix(line, "STEP "); ok {
			_, name, _ := strings.Cut(s, " ")
			r.Steps = append(r.Steps, name)
		} else if strings.HasPrefix(line, "ERROR ") || line == "DONE" {
			last = line
		}
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			r.Killed = true
			return r
		}
	}
	if e, ok := strings.CutPrefix(last, "ERROR "); ok {
		r.Err = e
		return r
	}
	if last != "DONE" {
		t.Fatalf("child %s (step %d): %v %s", child, at, err, last)
	}
	return r
}
