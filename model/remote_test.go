package model

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/internal/s3test"
)

// remoteRoundTrip saves the trained seed model in every format under root (an object URL
// folder, built by at(key)) and loads it back: same weights and predictions.
func remoteRoundTrip(t *testing.T, at func(key string) string) {
	src := trainedSeed(t)
	x := readNpy(t, filepath.Join(fixtureRoot, "seed", "x.npy"))
	want, err := src.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	models := []struct {
		name string
		save func(string) error
		f    Format
	}{
		{"m.h5", src.Save, FormatHDF5},
		{"m.keras", src.Save, FormatKeras},
		{"sm_dir", src.Save, FormatSavedModel},
		{"kdir", src.SaveKerasDir, FormatKeras},
	}
	for _, c := range models {
		t.Run(c.name, func(t *testing.T) {
			u := at("models/" + c.name)
			if err := c.save(u); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			if f, _, err := Detect(u); err != nil || f != c.f {
				t.Fatalf("Detect: %v %v, want %v", f, err, c.f)
			}
			m, err := Load(u)
			if err != nil {
				t.Fatal(err)
			}
			if !sameWeights(snapshot(m), snapshot(src)) {
				t.Error("weights differ")
			}
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(y.Float32s(), want.Float32s()) {
				t.Error("predictions differ")
			}
		})
	}
	weights := []struct {
		name string
		o    SaveWeightsOptions
	}{
		{"w.weights.h5", SaveWeightsOptions{}},
		{"w.h5", SaveWeightsOptions{}},
		{"sharded/w.weights.json", SaveWeightsOptions{MaxShardBytes: 120000}},
		{"ckpt/w", SaveWeightsOptions{}},
		{"ckpt2/w", SaveWeightsOptions{NumShards: 2}},
	}
	for _, c := range weights {
		t.Run(c.name, func(t *testing.T) {
			u := at("weights/" + c.name)
			if err := src.SaveWeightsWith(u, c.o); err != nil {
				skipNoHDF5(t, err)
				t.Fatal(err)
			}
			dst := seedModel()
			if err := dst.LoadWeights(u); err != nil {
				t.Fatal(err)
			}
			if !sameWeights(snapshot(dst), snapshot(src)) {
				t.Error("weights differ")
			}
			if strings.HasPrefix(c.name, "ckpt") {
				// The folder: its `checkpoint` state file names the prefix.
				dir := at("weights/" + strings.TrimSuffix(c.name, "/w"))
				dst := seedModel()
				if err := dst.LoadWeights(dir); err != nil {
					t.Fatal(err)
				}
				if !sameWeights(snapshot(dst), snapshot(src)) {
					t.Error("weights from the checkpoint folder differ")
				}
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		u := at("nothing/here")
		_, err := Load(u)
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nothing/here") {
			t.Fatalf("Load of a missing object: %v", err)
		}
	})
}

// TestRemoteMem runs the round trip on a mem:// bucket.
func TestRemoteMem(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	remoteRoundTrip(t, func(key string) string { return "mem://roundtrip/" + key })
	// Every temporary copy (saves and downloads) is gone.
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary copies left in TMPDIR: %v", left)
	}
}

// TestRemoteS3 runs the round trip on SeaweedFS, then checks what reads fetch: a checkpoint
// load gets the index and the tensors' byte ranges, never more than the bundle; one
// tensor costs exactly its bytes.
func TestRemoteS3(t *testing.T) {
	if !haveCgo {
		t.Skip("without cgo TestRemoteMem covers the formats; the S3 server runs in the cgo build")
	}
	s := s3test.Start(t)
	remoteRoundTrip(t, func(key string) string { return s.URL(key) })

	t.Run("ranged", func(t *testing.T) {
		src := trainedSeed(t)
		u := s.URL("ranged/w")
		if err := src.SaveWeights(u); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		l, _ := blobpath.Parse(u)
		idx, err := blobpath.Size(ctx, l.Join("ranged/w.index"))
		if err != nil {
			t.Fatal(err)
		}
		data, err := blobpath.Size(ctx, l.Join("ranged/w.data-00000-of-00001"))
		if err != nil {
			t.Fatal(err)
		}
		o, prefix, err := blobpath.CheckpointOptions(checkpoint.ReaderOptions{}, u)
		if err != nil {
			t.Fatal(err)
		}
		before := blobpath.Stats.BytesRead.Load()
		r, err := o.Open(prefix)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got := blobpath.Stats.BytesRead.Load() - before; got != idx {
			t.Errorf("opening fetched %d bytes, want the %d of the index", got, idx)
		}
		e := r.Entries()[len(r.Entries())/2]
		before = blobpath.Stats.BytesRead.Load()
		if _, err := r.Read(e.Key); err != nil {
			t.Fatal(err)
		}
		if got := blobpath.Stats.BytesRead.Load() - before; got != e.Size {
			t.Errorf("reading %s fetched %d bytes, want its %d", e.Key, got, e.Size)
		}
		// A .keras is downloaded once: its bytes, plus the 8-byte signature reads of Detect.
		if haveCgo {
			k := s.URL("ranged/m.keras")
			if err := src.Save(k); err != nil {
				t.Fatal(err)
			}
			kl, _ := blobpath.Parse(k)
			n, err := blobpath.Size(ctx, kl)
			if err != nil {
				t.Fatal(err)
			}
			before := blobpath.Stats.BytesRead.Load()
			if _, err := Load(k); err != nil {
				t.Fatal(err)
			}
			if got := blobpath.Stats.BytesRead.Load() - before; got < n || got > n+64 {
				t.Errorf("Load of a %d-byte .keras fetched %d bytes", n, got)
			}
		}
		before = blobpath.Stats.BytesRead.Load()
		dst := seedModel()
		if err := dst.LoadWeights(u); err != nil {
			t.Fatal(err)
		}
		if got := blobpath.Stats.BytesRead.Load() - before; got > idx+data+64 {
			t.Errorf("LoadWeights fetched %d bytes, more than the %d of the bundle", got, idx+data)
		}
	})
}

// TestRemoteS3Faults kills the server in the middle of saves, and interrupts saves between
// their objects: the previous model stays loadable (after a restart), and a model whose
// marker was not written is not seen. Then a connection dropped during a load is an error
// naming the object.
func TestRemoteS3Faults(t *testing.T) {
	if !haveCgo {
		t.Skip("the fault test saves .keras (HDF5 needs cgo)")
	}
	s := s3test.Start(t)
	src := trainedSeed(t)
	other := seedModel() // untrained: other weights
	keras := s.URL("fault/m.keras")
	if err := src.Save(keras); err != nil {
		t.Fatal(err)
	}
	// Checkpoints as ModelCheckpoint writes them: a new prefix per save, then the state file.
	if err := src.SaveWeights(s.URL("fault/ckpt/ckpt-1")); err != nil {
		t.Fatal(err)
	}
	defer func() { blobpath.BeforeUpload = nil }()

	// 1. The server SIGKILLed while the body of the one PUT of a .keras is half sent (a
	// proxy forwards 16 KiB of the request, then kills the server).
	p := newKillProxy(t, strings.TrimPrefix(s.Endpoint, "http://"), 16<<10, s.Kill)
	if err := other.Save(strings.Replace(keras, s.Endpoint, "http://"+p, 1)); err == nil {
		t.Fatal("a .keras save to a killed server succeeded")
	} else {
		t.Logf(".keras save, server killed mid-PUT: %v", err)
	}
	s.Restart(t)

	// 2. The server SIGKILLed between the objects of a checkpoint save (its data uploaded,
	// its .index and the state file not).
	blobpath.BeforeUpload = func(rel string) error {
		if strings.HasSuffix(rel, ".index") {
			s.Kill()
		}
		return nil
	}
	if err := other.SaveWeights(s.URL("fault/ckpt/ckpt-2")); err == nil {
		t.Fatal("a checkpoint save to a killed server succeeded")
	} else {
		t.Logf("checkpoint save, server killed after the data: %v", err)
	}
	blobpath.BeforeUpload = nil
	s.Restart(t)

	// 3. Saves interrupted just before their marker (a crashed writer): nothing visible.
	crash := errors.New("writer crashed")
	blobpath.BeforeUpload = func(rel string) error {
		if rel == "sm/saved_model.pb" || rel == "kdir/config.json" || rel == "checkpoint" {
			return crash
		}
		return nil
	}
	for _, save := range []func() error{
		func() error { return other.Save(s.URL("fault/sm")) },
		func() error { return other.SaveKerasDir(s.URL("fault/kdir")) },
		func() error { return other.SaveWeights(s.URL("fault/ckpt/ckpt-3")) },
	} {
		if err := save(); !errors.Is(err, crash) {
			t.Fatalf("interrupted save: %v", err)
		}
	}
	blobpath.BeforeUpload = nil

	m, err := Load(keras)
	if err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(m), snapshot(src)) {
		t.Error(".keras: not the previous model")
	}
	dst := seedModel()
	if err := dst.LoadWeights(s.URL("fault/ckpt")); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(snapshot(dst), snapshot(src)) {
		t.Error("checkpoint folder: not the previous checkpoint")
	}
	for _, k := range []string{"fault/sm", "fault/kdir"} {
		if _, err := Load(s.URL(k)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a save interrupted before its marker is visible: %v", k, err)
		}
	}

	// A load whose connection drops in the middle of the data (a proxy closes it after the
	// index and a little more).
	t.Run("drop", func(t *testing.T) {
		big := s.URL("fault/big/w")
		if err := src.SaveWeights(big); err != nil {
			t.Fatal(err)
		}
		l, _ := blobpath.Parse(big)
		idx, err := blobpath.Size(context.Background(), l.Join("fault/big/w.index"))
		if err != nil {
			t.Fatal(err)
		}
		p := newDropProxy(t, strings.TrimPrefix(s.Endpoint, "http://"), idx+8192)
		u := strings.Replace(big, s.Endpoint, "http://"+p, 1)
		err = seedModel().LoadWeights(u)
		if err == nil {
			t.Fatal("a load through a dropped connection succeeded")
		}
		if !strings.Contains(err.Error(), "fault/big/w.data-00000-of-00001") {
			t.Errorf("the error does not name the object: %v", err)
		}
		t.Logf("dropped connection: %v", err)
	})
}

// newKillProxy forwards TCP connections to target; after limit bytes of requests it calls
// kill (and stops forwarding).
func newKillProxy(t *testing.T, target string, limit int64, kill func()) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var sent atomic.Int64
	var once sync.Once
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.DialTimeout("tcp", target, 5*time.Second)
				if err != nil {
					return
				}
				defer up.Close()
				go copyN(c, up, 1<<40)
				buf := make([]byte, 1024)
				for {
					k, err := c.Read(buf)
					if k > 0 {
						if sent.Add(int64(k)) > limit {
							once.Do(kill)
							return
						}
						up.Write(buf[:k])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// newDropProxy forwards TCP connections to target, closing each after limit bytes of
// response: a connection dropped in the middle of a download.
func newDropProxy(t *testing.T, target string, limit int64) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.DialTimeout("tcp", target, 5*time.Second)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { copyN(up, c, 1<<40) }()
				copyN(c, up, limit)
			}()
		}
	}()
	return l.Addr().String()
}

func copyN(dst net.Conn, src net.Conn, n int64) {
	buf := make([]byte, 512)
	for n > 0 {
		k, err := src.Read(buf)
		if k > 0 {
			if int64(k) > n {
				k = int(n)
			}
			dst.Write(buf[:k])
			n -= int64(k)
		}
		if err != nil {
			return
		}
	}
}

// TestRemoteModelCheckpoint: ModelCheckpoint saves to a mem:// bucket during Fit, one TF
// checkpoint per epoch; the folder's state file names the last, which holds the final
// weights.
func TestRemoteModelCheckpoint(t *testing.T) {
	x, y := tinyData(96, 6)
	m := tinyModel(8)
	compileTiny(t, m)
	every := &ModelCheckpoint{Filepath: "mem://mc/run/ckpt-{epoch}", SaveWeightsOnly: true}
	if _, err := m.Fit(x, y, FitOptions{Epochs: 2, BatchSize: 16, NoShuffle: true, Callbacks: []Callback{every}}); err != nil {
		t.Fatal(err)
	}
	if len(every.Saved) != 2 || every.Saved[1] != "mem://mc/run/ckpt-2" {
		t.Fatalf("saved %v", every.Saved)
	}
	if _, err := os.Stat("mem:"); err == nil {
		t.Error("ModelCheckpoint made a local folder for a URL")
	}
	m2 := tinyModel(99)
	if err := m2.LoadWeights("mem://mc/run"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.Weights()[0].Value.Float32s(), m.Weights()[0].Value.Float32s()) {
		t.Error("the folder's checkpoint does not hold the final weights")
	}
}
