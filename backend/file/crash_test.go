//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// crashEnv, when set, makes TestCrashWriterChild a writer on that directory.
const crashEnv = "CACHEKIT_FILE_TEST_CRASH_WRITER_DIR"

const (
	crashKeys  = 8
	crashValue = 256 << 10
)

// crashPayload is the value generation gen writes under key i: a header
// naming both, then bytes that depend on both, so that any mix of two
// values (or a cut-off one) fails verifyCrashPayload.
func crashPayload(i, gen int) []byte {
	v := make([]byte, crashValue)
	copy(v, fmt.Sprintf("key %03d gen %09d|", i, gen))
	r := rand.New(rand.NewPCG(uint64(i), uint64(gen)))
	for j := 24; j+8 <= len(v); j += 8 {
		binary.LittleEndian.PutUint64(v[j:], r.Uint64())
	}
	return v
}

// verifyCrashPayload returns the generation of v, which must be a whole
// crashPayload of key i.
func verifyCrashPayload(i int, v []byte) (int, error) {
	var ki, gen int
	if len(v) < 24 {
		return 0, fmt.Errorf("%d bytes", len(v))
	}
	if _, err := fmt.Sscanf(string(v[:23]), "key %03d gen %09d", &ki, &gen); err != nil || ki != i {
		return 0, fmt.Errorf("header %q", v[:24])
	}
	if !bytes.Equal(v, crashPayload(i, gen)) {
		return 0, fmt.Errorf("generation %d torn", gen)
	}
	return gen, nil
}

// TestCrashWriterChild is the writer process of TestCrashLeavesOldOrNew: it
// rewrites every key, generation after generation, until it is killed.
func TestCrashWriterChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("the writer of TestCrashLeavesOldOrNew; runs only as its child")
	}
	b, err := New(dir, WithMaxEntries(0), WithMaxBytes(0))
	if err != nil {
		t.Fatal(err)
	}
	gen := 0
	for i := range crashKeys { // continue from the last generation stored
		if e, found, err := b.Get(context.Background(), fmt.Sprint("crash-", i)); err == nil && found {
			if g, err := verifyCrashPayload(i, e.Value); err == nil {
				gen = max(gen, g)
			}
		}
	}
	fmt.Println("ready")
	for {
		gen++
		for i := range crashKeys {
			if err := b.Set(context.Background(), fmt.Sprint("crash-", i), crashPayload(i, gen), core.NoExpiry); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCrashLeavesOldOrNew kills (SIGKILL) a writer process at random moments
// while it rewrites entries; every entry must then hold a whole value, of
// the generation before the kill or a later one: never a torn, mixed or
// missing one.
func TestCrashLeavesOldOrNew(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns writer processes")
	}
	dir := filepath.Join(t.TempDir(), "cache")
	b, err := New(dir, WithMaxEntries(0), WithMaxBytes(0))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	last := make([]int, crashKeys)
	for i := range crashKeys {
		if err := b.Set(ctx, fmt.Sprint("crash-", i), crashPayload(i, 0), core.NoExpiry); err != nil {
			t.Fatal(err)
		}
	}
	temps := 0
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		ready := false
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				ready = true
				break
			}
		}
		if !ready {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: the writer never got ready", round)
		}
		go func() { _, _ = bufio.NewReader(out).WriteTo(discard{}) }()
		time.Sleep(time.Duration(30+rand.IntN(200)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		for _, n := range listDir(t, dir) {
			if strings.Contains(n, ".tmp.") {
				temps++
			}
		}
		for i := range crashKeys {
			e, found, err := b.Get(ctx, fmt.Sprint("crash-", i))
			if err != nil || !found {
				t.Fatalf("round %d: key %d after the kill: found %v, %v", round, i, found, err)
			}
			gen, err := verifyCrashPayload(i, e.Value)
			if err != nil {
				t.Fatalf("round %d: key %d holds neither the old nor a new value: %v", round, i, err)
			}
			if gen < last[i] {
				t.Fatalf("round %d: key %d went back from generation %d to %d", round, i, last[i], gen)
			}
			last[i] = gen
		}
	}
	if b.Healed() != 0 {
		t.Errorf("Healed() = %d: a kill left a corrupt entry", b.Healed())
	}
	if last[0] == 0 {
		t.Errorf("the writer never replaced a value: the test proved nothing")
	}
	t.Logf("generations reached %v; temporary files left by killed writes: %d", last, temps)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
