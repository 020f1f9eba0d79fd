package examples

import (
	"os/exec"
	"strings"
	"testing"
)

// goListDeps returns the packages pkg depends on.
func goListDeps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	return deps
}

// observed reports the observability packages among deps.
func observed(deps map[string]bool) []string {
	var found []string
	for p := range deps {
		if strings.HasPrefix(p, "go.opentelemetry.io/") || strings.HasPrefix(p, "github.com/prometheus/") ||
			strings.HasPrefix(p, "github.com/cachekit-io/cachekit-go/observe/") {
			found = append(found, p)
		}
	}
	return found
}

// A program using core and backend/redis pulls neither OpenTelemetry nor
// Prometheus: the exporters are modules of their own that only programs
// importing them depend on. The example service, which imports
// observe/prometheus, shows that the check sees them when they are there.
func TestRedisProgramPullsNoObservability(t *testing.T) {
	deps := goListDeps(t, "./internal/redisonly")
	for _, want := range []string{"github.com/cachekit-io/cachekit-go/core", "github.com/cachekit-io/cachekit-go/backend/redis"} {
		if !deps[want] {
			t.Fatalf("%s is not among the dependencies: the check would prove nothing", want)
		}
	}
	if found := observed(deps); len(found) > 0 {
		t.Errorf("a Redis program depends on %v", found)
	}
	if found := observed(goListDeps(t, "./observed")); len(found) == 0 {
		t.Error("the example service shows no observability package: the check cannot see them")
	}
}
