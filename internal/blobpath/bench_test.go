package blobpath_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/internal/s3test"
	"github.com/kerasgo/kerasgo/tensor"
)

// BenchmarkS3Checkpoint writes a checkpoint of 200 tensors (2 GB by default;
// KERASGO_S3_BENCH_MB sets the total) and reads it back three ways, once each: on local
// disk (checkpoint writer and reader), to and from SeaweedFS on loopback the way kerasgo's
// model.SaveWeights and LoadWeights do it (local write then upload markers last; ranged
// read of every tensor), and the same files copied with a plain S3 client (the AWS SDK's
// PutObject and GetObject: the physical limit of this server). Then `ls` of the remote
// checkpoint: bytes fetched and time. Run by `make bench-s3` (KERASGO_S3_BENCH=1); never
// by `make test`.
func BenchmarkS3Checkpoint(b *testing.B) {
	if os.Getenv("KERASGO_S3_BENCH") != "1" {
		b.Skip("set KERASGO_S3_BENCH=1 (make bench-s3): writes 2 GB three times")
	}
	totalMB := 2048
	if v, err := strconv.Atoi(os.Getenv("KERASGO_S3_BENCH_MB")); err == nil && v > 0 {
		totalMB = v
	}
	const nTensors = 200
	elems := totalMB << 20 / nTensors / 4
	s := s3test.Start(b)
	ctx := context.Background()
	dir := b.TempDir()
	for i := 0; i < b.N; i++ {
		mb := float64(nTensors*elems*4) / (1 << 20)
		report := func(what string, d time.Duration) {
			b.ReportMetric(d.Seconds(), strings.ReplaceAll(what, " ", "_")+"_s")
			b.Logf("%-34s %8.2f s  %7.1f MB/s", what, d.Seconds(), mb/d.Seconds())
		}
		b.Logf("checkpoint: %d tensors of %d float32 (%.0f MB)", nTensors, elems, mb)
		// 1. Local disk.
		local := filepath.Join(dir, fmt.Sprintf("local%d", i), "w")
		os.MkdirAll(filepath.Dir(local), 0o755)
		t0 := time.Now()
		writeBundle(b, local, nTensors, elems)
		report("local write", time.Since(t0))
		t0 = time.Now()
		readBundle(b, checkpoint.ReaderOptions{}, local)
		report("local read", time.Since(t0))

		// 2. kerasgo to and from SeaweedFS: what SaveWeights(s3://...) does (a local write
		// into a temporary folder, then the upload, markers last) and LoadWeights reads
		// (the index, then one ranged GET per tensor).
		key := fmt.Sprintf("bench%d/w", i)
		dst, _ := blobpath.Parse(s.URL(key))
		t0 = time.Now()
		tmp := filepath.Join(dir, fmt.Sprintf("up%d", i))
		os.MkdirAll(tmp, 0o755)
		writeBundle(b, filepath.Join(tmp, "w"), nTensors, elems)
		if err := blobpath.UploadTree(ctx, tmp, dst.Dir(), nil); err != nil {
			b.Fatal(err)
		}
		report("kerasgo write to S3", time.Since(t0))
		os.RemoveAll(tmp)
		o, prefix, err := blobpath.CheckpointOptions(checkpoint.ReaderOptions{MaxTotalBytes: 1 << 40}, s.URL(key))
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		readBundle(b, o, prefix)
		report("kerasgo read from S3", time.Since(t0))

		// 3. The same files with a plain S3 client.
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
		if err != nil {
			b.Fatal(err)
		}
		client := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(s.Endpoint)
			o.UsePathStyle = true
		})
		files, _ := filepath.Glob(local + ".*")
		t0 = time.Now()
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				b.Fatal(err)
			}
			_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket),
				Key: aws.String(fmt.Sprintf("plain%d/%s", i, filepath.Base(f))), Body: fh})
			fh.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
		report("plain S3 client upload", time.Since(t0))
		t0 = time.Now()
		for _, f := range files {
			out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket),
				Key: aws.String(fmt.Sprintf("plain%d/%s", i, filepath.Base(f)))})
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
		report("plain S3 client download", time.Since(t0))

		// 4. ls of the remote checkpoint: the index only.
		before := blobpath.Stats.BytesRead.Load()
		reqs := blobpath.Stats.Requests.Load()
		t0 = time.Now()
		r, err := o.Open(prefix)
		if err != nil {
			b.Fatal(err)
		}
		n := len(r.Entries())
		r.Close()
		d := time.Since(t0)
		fetched := blobpath.Stats.BytesRead.Load() - before
		b.ReportMetric(float64(fetched), "ls_bytes")
		b.ReportMetric(d.Seconds(), "ls_s")
		b.Logf("ls of the remote checkpoint: %d entries, %d bytes fetched in %d GETs, %.3f s",
			n, fetched, blobpath.Stats.Requests.Load()-reqs, d.Seconds())
		os.RemoveAll(filepath.Dir(local))
	}
}

func writeBundle(b *testing.B, prefix string, n, elems int) {
	w, err := checkpoint.NewWriter(prefix)
	if err != nil {
		b.Fatal(err)
	}
	t, err := tensor.New(tensor.Float32, []int{elems})
	if err != nil {
		b.Fatal(err)
	}
	v := t.Float32s()
	for i := 0; i < n; i++ {
		for j := range v {
			v[j] = float32(i*31+j%1000) * 0.001
		}
		if err := w.Add(fmt.Sprintf("layer_%03d/kernel/.ATTRIBUTES/VARIABLE_VALUE", i), t); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

func readBundle(b *testing.B, o checkpoint.ReaderOptions, prefix string) {
	if o.MaxTotalBytes == 0 {
		o.MaxTotalBytes = 1 << 40
	}
	r, err := o.Open(prefix)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, k := range r.Keys() {
		if _, err := r.Read(k); err != nil {
			b.Fatal(err)
		}
	}
}
