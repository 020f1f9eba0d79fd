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
// same required headers) to the same in-process server on loopback. Each
// reports req/s and p50/p99 latency; compare the pairs with benchstat.

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

func rawDo(b *testing.B, c *http.Client, method, url string, body []byte) {
	var r io.Reader = http.NoBody
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+sdkA)
	req.Header.Set("X-CacheKit-L1-Status", "disabled")
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
