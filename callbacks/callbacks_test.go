package callbacks

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// fakeModel records what the callbacks ask of a model.
type fakeModel struct {
	saved, savedWeights []string
	stopped             bool
	w                   *layers.Weight
	saveErr             error
}

func (f *fakeModel) Save(p string) error { f.saved = append(f.saved, p); return f.saveErr }
func (f *fakeModel) SaveWeights(p string) error {
	f.savedWeights = append(f.savedWeights, p)
	return nil
}
func (f *fakeModel) StopTraining()             { f.stopped = true }
func (f *fakeModel) Weights() []*layers.Weight { return []*layers.Weight{f.w} }
func (f *fakeModel) SetWeights(v []*tensor.Tensor) error {
	if len(v) != 1 {
		return errors.New("want one value")
	}
	f.w.Value = v[0].Clone()
	return nil
}

// TestModelCheckpointWithAnyModel: the checkpoint formats the path from the epoch and logs,
// saves only on improvement with SaveBestOnly, and uses SaveWeights when asked to.
func TestModelCheckpointWithAnyModel(t *testing.T) {
	dir := t.TempDir()
	m := &fakeModel{}
	c := &ModelCheckpoint[*fakeModel]{Filepath: filepath.Join(dir, "w.{epoch:02d}-{val_loss:.2f}.h5"), SaveBestOnly: true, Output: io.Discard}
	if err := c.OnTrainBegin(m, nil); err != nil {
		t.Fatal(err)
	}
	for epoch, v := range []float64{0.5, 0.7, 0.25} {
		if err := c.OnEpochEnd(m, epoch, Logs{"val_loss": v}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{filepath.Join(dir, "w.01-0.50.h5"), filepath.Join(dir, "w.03-0.25.h5")}
	if !slices.Equal(m.saved, want) || !slices.Equal(c.Saved, want) || m.savedWeights != nil {
		t.Errorf("saved %q, weights %q, Saved %q; want %q", m.saved, m.savedWeights, c.Saved, want)
	}
	w := &ModelCheckpoint[*fakeModel]{Filepath: filepath.Join(dir, "ck-{epoch}"), SaveWeightsOnly: true}
	if err := w.OnTrainBegin(m, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.OnEpochEnd(m, 0, Logs{}); err != nil || !slices.Equal(m.savedWeights, []string{filepath.Join(dir, "ck-1")}) {
		t.Errorf("weights-only: err %v, saved %q", err, m.savedWeights)
	}
	m.saveErr = errors.New("model: disk full")
	bad := &ModelCheckpoint[*fakeModel]{Filepath: filepath.Join(dir, "x.h5")}
	_ = bad.OnTrainBegin(m, nil)
	if err := bad.OnEpochEnd(m, 0, Logs{}); err == nil || err.Error() != "ModelCheckpoint: disk full" || !errors.Is(err, m.saveErr) {
		t.Errorf("save error: %v", err)
	}
	if err := (&ModelCheckpoint[*fakeModel]{Filepath: "{missing}"}).OnEpochEnd(m, 0, Logs{}); err == nil {
		t.Error("unknown template field accepted")
	}
}

// TestEarlyStoppingWithAnyModel: training stops after Patience epochs without improvement
// and the best epoch's weights are restored.
func TestEarlyStoppingWithAnyModel(t *testing.T) {
	m := &fakeModel{w: &layers.Weight{Value: tensor.MustFromFloat32([]int{1}, []float32{0})}}
	e := &EarlyStopping[*fakeModel]{Patience: 2, RestoreBestWeights: true}
	if err := e.OnTrainBegin(m, nil); err != nil {
		t.Fatal(err)
	}
	losses := []float64{1.0, 0.4, 0.6, 0.5, 0.3}
	stoppedAt := -1
	for epoch, v := range losses {
		m.w.Value = tensor.MustFromFloat32([]int{1}, []float32{float32(epoch)})
		if err := e.OnEpochEnd(m, epoch, Logs{"val_loss": v}); err != nil {
			t.Fatal(err)
		}
		if m.stopped {
			stoppedAt = epoch
			break
		}
	}
	if err := e.OnTrainEnd(m, nil); err != nil {
		t.Fatal(err)
	}
	if stoppedAt != 3 || e.StoppedEpoch != 3 || e.BestEpoch != 1 || e.Best != 0.4 {
		t.Errorf("stopped at %d (StoppedEpoch %d), best epoch %d value %v; want 3, 1, 0.4", stoppedAt, e.StoppedEpoch, e.BestEpoch, e.Best)
	}
	if got := m.w.Value.Float32s()[0]; got != 1 {
		t.Errorf("restored weight %v, want the best epoch's 1", got)
	}
	if err := (&EarlyStopping[*fakeModel]{Mode: "sideways"}).OnTrainBegin(m, nil); err == nil {
		t.Error("mode sideways accepted")
	}
}
