package chaos_test

import (
	"fmt"

	"github.com/cachekit-io/cachekit-go/chaos"
)

// A Report's buckets hold latency histograms; Quantile reads an upper bound
// of a quantile from one.
func ExampleHist_Quantile() {
	var rep chaos.Report
	rep.Start = 0
	rep.Buckets = make([]chaos.Bucket, 1)
	rep.Buckets[0].Load[3] = 99 // 99 calls in [8, 16) µs
	rep.Buckets[0].Load[10] = 1 // one in [1024, 2048) µs
	w := rep.Window(0, 100)
	fmt.Println(w.Load.Quantile(0.5), w.Load.Quantile(1))
	// Output: 16µs 2.048ms
}
