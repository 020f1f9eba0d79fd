package examples

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/cachekit-io/cachekit-go/conformance/rig"
)

// redisURL is the Redis that TestMain started for the examples (empty when
// no container engine answers outside CI; the Redis example is then
// skipped).
var redisURL string

// TestMain starts one Redis container from the rig for the examples, which
// have no *testing.T to start it themselves, and stops it at the end.
func TestMain(m *testing.M) {
	flag.Parse()
	tb := &mainTB{}
	if err := startRedis(tb); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			fmt.Fprintln(os.Stderr, "examples: no Redis for Example_production (CI=true: a failure):", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "examples: skipping Example_production:", err)
		skip := "^Example_production$"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		_ = flag.Set("test.skip", skip)
	}
	code := m.Run()
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	os.Exit(code)
}

func startRedis(tb *mainTB) (err error) {
	if err := rig.Available(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	redisURL = rig.StartRedis(tb).URL()
	return nil
}

// mainTB is the testing.TB the rig needs, for TestMain: Fatal and Skip
// panic (startRedis recovers), cleanups run when the tests are done. The
// embedded TB is nil: the rig calls only the methods defined here.
type mainTB struct {
	testing.TB
	cleanups []func()
}

func (*mainTB) Helper()                        {}
func (*mainTB) Name() string                   { return "TestMain" }
func (*mainTB) Logf(string, ...any)            {}
func (*mainTB) Errorf(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
func (*mainTB) Fatal(a ...any)                 { panic(fmt.Sprint(a...)) }
func (*mainTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (*mainTB) Skip(a ...any)                  { panic(fmt.Sprint(a...)) }
func (t *mainTB) Cleanup(f func())             { t.cleanups = append(t.cleanups, f) }
