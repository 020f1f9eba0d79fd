package server_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// The benchmarks compare GET and PUT round trips through backend/cachekitio
// with a bare net/http client sending the same requests (same TLS, HTTP/2,
// the same header fields: each costs the transport and the server work of
// its own, so a baseline with fewer would flatter it) to the same in-process
// server on loopback. BenchmarkGet and BenchmarkPut report req/s and p50/p99
// latency for each client; compare the pairs with benchstat. BenchmarkPaired
// alternates the two clients request by request, so that both see the same
// machine load, and reports the backend's overhead directly.

const benchValueSize = 1024

type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	b.ReportMetric(float64(l[len(l)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(l[len(l)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func benchSetup(b *testing.B) (url string, backend *cachekitio.Backend, raw *http.Client) {
	b.Helper()
	url, pool := startTLS(b, newServer(b, memstore.New(), 0))
	be, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey(sdkA),
		cachekitio.WithInsecureCustomEndpoint(url), cachekitio.WithRootCAs(pool))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 10}
	b.Cleanup(tr.CloseIdleConnections)
	return url, be, &http.Client{Transport: tr}
}

// The raw client's session headers: values of the backend's length.
const (
	rawSessionID    = "6f1c2b7e-3a59-4d0e-9b8f-0c1d2e3f4a5b"
	rawSessionStart = "1763790000000"
)

func rawDo(b *testing.B, c *http.Client, method, url string, body []byte) {
	var r io.Reader = http.NoBody
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		b.Fatal(err)
	}
	// The fields the backend sends: Authorization, User-Agent,
	// X-CacheKit-L1-Status and the session pair (the metrics headers ride
	// on one request a second and are left out).
	req.Header.Set("Authorization", "Bearer "+sdkA)
	req.Header.Set("User-Agent", "cachekit-go")
	req.Header.Set("X-CacheKit-L1-Status", "disabled")
	req.Header.Set("X-CacheKit-Session-ID", rawSessionID)
	req.Header.Set("X-CacheKit-Session-Start", rawSessionStart)
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("X-CacheKit-TTL", "600")
	}
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("%s: %d", method, res.StatusCode)
	}
}

func BenchmarkGet(b *testing.B) {
	url, be, raw := benchSetup(b)
	value := bytes.Repeat([]byte("v"), benchValueSize)
	if err := be.Set(b.Context(), "bench:key", value, 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	b.Run("cachekitio", func(b *testing.B) {
		lat := make(latencies, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			if _, found, err := be.Get(b.Context(), "bench:key"); err != nil || !found {
				b.Fatal(found, err)
			}
			lat = append(lat, time.Since(t0))
		}
		lat.report(b)
	})
	b.Run("raw-net-http", func(b *testing.B) {
		lat := make(latencies, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			rawDo(b, raw, http.MethodGet, url+"/v1/cache/bench%3Akey", nil)
			lat = append(lat, time.Since(t0))
		}
		lat.report(b)
	})
}

func BenchmarkPut(b *testing.B) {
	url, be, raw := benchSetup(b)
	value := bytes.Repeat([]byte("v"), benchValueSize)
	b.Run("cachekitio", func(b *testing.B) {
		lat := make(latencies, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			if err := be.Set(b.Context(), "bench:key", value, 10*time.Minute); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		lat.report(b)
	})
	b.Run("raw-net-http", func(b *testing.B) {
		lat := make(latencies, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			rawDo(b, raw, http.MethodPut, url+"/v1/cache/bench%3Akey", value)
			lat = append(lat, time.Since(t0))
		}
		lat.report(b)
	})
}

// BenchmarkPaired sends each request once through the backend and once
// through the raw client, alternating which goes first, and reports both
// clients' p50/p99 and the backend's overhead on the mean and on the p50 in
// percent. Both clients see the same moments of a shared, noisy machine,
// which separate benchmarks do not.
func BenchmarkPaired(b *testing.B) {
	url, be, raw := benchSetup(b)
	value := bytes.Repeat([]byte("v"), benchValueSize)
	if err := be.Set(b.Context(), "bench:key", value, 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	ops := []struct {
		name    string
		backend func()
		raw     func()
	}{
		{"get", func() {
			if _, found, err := be.Get(b.Context(), "bench:key"); err != nil || !found {
				b.Fatal(found, err)
			}
		}, func() { rawDo(b, raw, http.MethodGet, url+"/v1/cache/bench%3Akey", nil) }},
		{"put", func() {
			if err := be.Set(b.Context(), "bench:key", value, 10*time.Minute); err != nil {
				b.Fatal(err)
			}
		}, func() { rawDo(b, raw, http.MethodPut, url+"/v1/cache/bench%3Akey", value) }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			var lb, lr latencies
			first := false
			for b.Loop() {
				first = !first
				x, y := op.backend, op.raw
				if !first {
					x, y = y, x
				}
				t0 := time.Now()
				x()
				t1 := time.Now()
				y()
				dx, dy := t1.Sub(t0), time.Since(t1)
				if !first {
					dx, dy = dy, dx
				}
				lb, lr = append(lb, dx), append(lr, dy)
			}
			mb, mr := lb.mean(), lr.mean()
			slices.Sort(lb)
			slices.Sort(lr)
			b.ReportMetric(float64(lb.at(50).Microseconds()), "backend-p50-µs")
			b.ReportMetric(float64(lr.at(50).Microseconds()), "raw-p50-µs")
			b.ReportMetric(float64(lb.at(99).Microseconds()), "backend-p99-µs")
			b.ReportMetric(float64(lr.at(99).Microseconds()), "raw-p99-µs")
			b.ReportMetric(100*(float64(mb)/float64(mr)-1), "mean-overhead-%")
			b.ReportMetric(100*(float64(lb.at(50))/float64(lr.at(50))-1), "p50-overhead-%")
		})
	}
}

// mean is the average latency.
func (l latencies) mean() time.Duration {
	if len(l) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	return sum / time.Duration(len(l))
}

// at returns the p-th percentile of sorted latencies.
func (l latencies) at(p int) time.Duration { return l[len(l)*p/100] }
