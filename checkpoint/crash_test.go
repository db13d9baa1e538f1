package checkpoint

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/tensor"
)

const crashEnv = "KERASGO_CHECKPOINT_CRASH"

// crashTensors is the content of checkpoint number gen: values depend on gen so that a
// mixed-up load is visible.
func crashTensors(gen int) map[string]*tensor.Tensor {
	ts := map[string]*tensor.Tensor{}
	for i := 0; i < 8; i++ {
		d := make([]float32, 1<<16)
		for j := range d {
			d[j] = float32(gen*1000 + i)
		}
		ts[fmt.Sprintf("layer_%d/kernel", i)] = tensor.MustFromFloat32([]int{256, 256}, d)
	}
	ts["step"] = tensor.Scalar(int64(gen))
	return ts
}

// TestCrashHelper is the writer process of TestCrashSafety. It saves checkpoint 2 through a
// Manager and, at the stage named by the environment, says so on stdout and waits to be
// killed.
func TestCrashHelper(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("helper process for TestCrashSafety")
	}
	dir, stage, _ := strings.Cut(spec, "|")
	stop := func(at string) {
		if at == stage {
			fmt.Println("READY", at)
			os.Stdout.Sync()
			time.Sleep(time.Hour)
		}
	}
	testHookRename = stop
	m := &Manager{Dir: dir, MaxToKeep: 1}
	_, err := m.Save(func(prefix string) error {
		w, err := NewWriter(prefix)
		if err != nil {
			return err
		}
		ts := crashTensors(2)
		for i, k := range sortedKeys(ts) {
			if err := w.Add(k, ts[k]); err != nil {
				return err
			}
			if i == 3 {
				stop("add")
			}
		}
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCrashSafety kills a process in the middle of saving a second checkpoint (while adding
// tensors, before the data files are renamed, before the index is renamed, before the state
// file is written): the first checkpoint must remain the latest and load intact.
func TestCrashSafety(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip()
	}
	for _, stage := range []string{"add", "data", "index", "state"} {
		t.Run(stage, func(t *testing.T) {
			dir := t.TempDir()
			m := &Manager{Dir: dir, MaxToKeep: 1}
			first, err := m.Save(func(p string) error {
				writeBundle(t, p, crashTensors(1), WriterOptions{})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnv+"="+dir+"|"+stage)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if !strings.HasPrefix(line, "READY "+stage) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("helper did not reach stage %q: %q", stage, line)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()

			latest, err := Latest(dir)
			if err != nil {
				t.Fatal(err)
			}
			if latest != first {
				t.Fatalf("latest is %s, want the first checkpoint %s", latest, first)
			}
			r, err := Open(latest)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			want := crashTensors(1)
			for k, w := range want {
				got, err := r.Read(k)
				if err != nil {
					t.Fatal(err)
				}
				if !sameTensor(got, w) {
					t.Errorf("%s: %s differs after the crash", first, k)
				}
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			t.Logf("after kill at %q: %d files in the folder", stage, len(files))
		})
	}
}
