// Command kerasgo inspects, converts and runs Keras models saved in any format Keras and
// TensorFlow use.
//
//	kerasgo summary PATH                 Keras's model.summary() text for any supported file
//	kerasgo ls PATH                      every variable: name, dtype, shape
//	kerasgo predict PATH --input X.npy [--input ...] --output Y.npy [--output ...] [--batch-size N]
//	kerasgo convert SRC DST [--weights-only [--config CONFIG] [--max-shard-size BYTES]]
//	kerasgo verify PATH [--against OTHER] read everything, check every checksum and structure;
//	                                     with --against, compare every tensor with OTHER
//	kerasgo demo [--data DIR] [--out DIR]
//	kerasgo tensorboard-check LOGDIR     check every record (CRCs) and event of TensorBoard event files
//	kerasgo plot PATH [-o model.png|svg|dot] [--show-shapes] ...  draw the model as plot_model
//
// PATH is an .h5/.hdf5 file, a .keras file, a .weights.h5 file, a SavedModel directory, or a
// checkpoint prefix (or the directory holding a "checkpoint" file); the format is detected from
// the content. Exit status 0 on success; otherwise one line on stderr and status 1 (2 for usage
// errors).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage:
  kerasgo summary PATH
  kerasgo ls PATH
  kerasgo predict PATH --input X.npy [--input ...] --output Y.npy [--output ...] [--batch-size N]
  kerasgo convert SRC DST [--weights-only [--config CONFIG] [--max-shard-size BYTES]]
  kerasgo verify PATH [--against OTHER]
  kerasgo demo [--data DIR] [--out DIR]
  kerasgo tensorboard-check LOGDIR
  kerasgo plot PATH [-o model.png|model.svg|model.dot] [--keras3] [--show-shapes] [--show-dtype]
               [--show-layer-names=false] [--rankdir TB|LR] [--expand-nested]
               [--show-layer-activations] [--show-trainable] [--dpi N]
`

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit status. Panics are turned into a one-line
// error: kerasgo never prints a Go panic trace.
func run(args []string, stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "kerasgo: internal error: %v\n", r)
			status = 1
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch verb, rest := args[0], args[1:]; verb {
	case "summary":
		err = cmdSummary(rest, stdout)
	case "ls":
		err = cmdLs(rest, stdout)
	case "predict":
		err = cmdPredict(rest, stdout)
	case "convert":
		err = cmdConvert(rest, stdout)
	case "verify":
		err = cmdVerify(rest, stdout)
	case "plot":
		err = cmdPlot(rest, stdout)
	case "demo":
		err = cmdDemo(rest, stdout)
	case "tensorboard-check":
		err = cmdTensorBoardCheck(rest, stdout)
	case "help", "-h", "-help", "--help":
		if verb == "help" && len(rest) == 1 {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, verb)
	}
	var help *helpRequest
	if errors.As(err, &help) {
		fmt.Fprint(stdout, help.text)
		return 0
	}
	if err != nil {
		// The library's "model: " prefix gives way to the command's own.
		fmt.Fprintf(stderr, "kerasgo: %s\n", oneLine(strings.TrimPrefix(err.Error(), "model: ")))
		if errors.Is(err, errUsage) {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return 1
	}
	return 0
}

// helpRequest is returned by parse for -h, -help or --help: run prints text on stdout and
// exits 0.
type helpRequest struct{ text string }

func (h *helpRequest) Error() string { return "help requested" }

// verbUsage is the usage of fs's verb: its lines of usage, then its flags.
func verbUsage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, l := range strings.Split(usage, "\n") {
		if strings.HasPrefix(l, "  kerasgo "+fs.Name()+" ") || l == "  kerasgo "+fs.Name() {
			b.WriteString(l + "\n")
		}
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		b.WriteString("flags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// parse parses flags that may come before or after the positional arguments, and checks
// the number of positionals.
func parse(fs *flag.FlagSet, args []string, npos int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, &helpRequest{verbUsage(fs)}
		} else if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != npos {
		return nil, fmt.Errorf("%w: %s wants %d path argument(s), got %d", errUsage, fs.Name(), npos, len(pos))
	}
	return pos, nil
}
