// Package s3test runs a real S3 server for tests: SeaweedFS's `weed server -s3` on 127.0.0.1
// (free ports, a temporary data folder), with one bucket, stopped when the test ends.
//
// The weed binary is the one scripts/seaweedfs.sh builds (pinned Version, cached under
// ~/.cache/kerasgo/weed-VERSION/weed; KERASGO_WEED overrides the path). When it is absent
// the tests skip, unless KERASGO_S3=1 (make test sets it), where they fail.
package s3test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob"
)

// Version is the SeaweedFS module version scripts/seaweedfs.sh builds.
const Version = "v0.0.0-20261109003541-7506e5f91cd6"

// Binary is the path of the weed binary: $KERASGO_WEED, else the cache of scripts/seaweedfs.sh.
func Binary() string {
	if p := os.Getenv("KERASGO_WEED"); p != "" {
		return p
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		h, _ := os.UserHomeDir()
		base = filepath.Join(h, ".cache")
	}
	return filepath.Join(base, "kerasgo", "weed-"+Version, "weed")
}

// Server is a running SeaweedFS with an S3 gateway.
type Server struct {
	Bucket   string // the bucket's name
	Endpoint string // http://127.0.0.1:PORT
	dir      string
	args     []string
	cmd      *exec.Cmd
	done     chan struct{}
	log      *os.File
}

// URL is the s3:// URL of key in the server's bucket, with the query that points the AWS
// SDK at the server.
func (s *Server) URL(key string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=%s&use_path_style=true&region=us-east-1&disable_https=true", s.Bucket, key, s.Endpoint)
}

// Start starts a server for t and stops it when t ends. It sets the AWS credentials in the
// environment (SeaweedFS without an identity file accepts any).
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("KERASGO_S3") == "1" {
			t.Fatalf("KERASGO_S3=1 but no SeaweedFS binary at %s (run scripts/seaweedfs.sh): %v", bin, err)
		}
		t.Skipf("no SeaweedFS binary at %s (scripts/seaweedfs.sh builds it; KERASGO_S3=1 makes this a failure)", bin)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "kerasgo")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "kerasgo-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// SeaweedFS returns no response checksums; the SDK would log that it cannot check one
	// on every GET.
	t.Setenv("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
	dir := t.TempDir()
	ports, err := freePorts(8)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Bucket: "kerasgo", Endpoint: fmt.Sprintf("http://127.0.0.1:%d", ports[6]), dir: dir}
	s.args = []string{"server", "-s3", "-dir=" + dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		fmt.Sprintf("-master.port=%d", ports[0]), fmt.Sprintf("-master.port.grpc=%d", ports[1]),
		fmt.Sprintf("-volume.port=%d", ports[2]), fmt.Sprintf("-volume.port.grpc=%d", ports[3]),
		fmt.Sprintf("-filer.port=%d", ports[4]), fmt.Sprintf("-filer.port.grpc=%d", ports[5]),
		fmt.Sprintf("-s3.port=%d", ports[6]), fmt.Sprintf("-s3.port.grpc=%d", ports[7]),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-iam=false", "-metricsPort=0",
		"-master.volumeSizeLimitMB=1024", "-volume.max=0",
		// A restarted single master elects itself after 1 s, not 10 s.
		"-master.electionTimeout=1s", "-volume.preStopSeconds=0"}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	if err := s.ready(true); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *Server) start() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "weed.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(Binary(), s.args...)
	cmd.Dir = s.dir
	// Without AWS_* in its environment SeaweedFS configures no identity and serves every
	// request (the SDK's signatures included); with them it would make them its admin.
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "AWS_") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("s3test: start weed: %v", err)
	}
	s.cmd, s.log, s.done = cmd, log, make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()
	return nil
}

// ready waits (up to 90 s) until the bucket exists (creating it when create) and takes a
// write and a read.
func (s *Server) ready(create bool) error {
	deadline := time.Now().Add(90 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("s3test: weed exited: %s", s.logTail())
		default:
		}
		if last = s.probe(create); last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("s3test: SeaweedFS not ready after 90 s: %v\n%s", last, s.logTail())
}

func (s *Server) probe(create bool) error {
	if create {
		req, _ := http.NewRequest(http.MethodPut, s.Endpoint+"/"+s.Bucket, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 409 {
			return fmt.Errorf("create bucket: HTTP %d", resp.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := blob.OpenBucket(ctx, strings.TrimSuffix(s.URL(""), ""))
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.WriteAll(ctx, ".s3test-probe", []byte("ok"), nil); err != nil {
		return err
	}
	_, err = b.ReadAll(ctx, ".s3test-probe")
	return err
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "weed.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Kill SIGKILLs the server (and its process group) and waits for it to exit.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.log.Close()
	s.cmd = nil
}

// Restart starts the server again on the same ports and data after Kill.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.ready(false); err != nil {
		t.Fatal(err)
	}
	t.Logf("s3test: SeaweedFS restarted in %v", time.Since(start).Round(time.Millisecond))
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.log.Close()
	s.cmd = nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1 (below 55536: SeaweedFS derives
// gRPC ports by adding 10000 where one is not given).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for tries := 0; len(out) < n && tries < 1000; tries++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		if p >= 55536 {
			l.Close()
			continue
		}
		ls = append(ls, l)
		out = append(out, p)
	}
	if len(out) < n {
		return nil, fmt.Errorf("s3test: no %d free ports", n)
	}
	return out, nil
}
