package chaos_test

import (
	"testing"

	"github.com/cachekit-io/cachekit-go/backend/memcached"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
)

// TestFaultsMemcached runs the workload against memcached in a container
// through backend/memcached with the production preset's stack (its fill
// lock is memcached's add-based lock), in this process, while memcached is
// paused and then killed and restarted empty.
func TestFaultsMemcached(t *testing.T) {
	m := rig.StartMemcached(t)
	be, err := memcached.New([]string{m.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	runInProcess(t, be, core.PresetProduction, "mc", []inProcessFault{
		{"pause", func() { m.Pause(t) }, func() { m.Unpause(t) }},
		{"kill", func() { m.Stop(t) }, func() { m.Start(t) }},
	})
}
