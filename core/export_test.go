package core

// ObjectCacheLen reports how many entries c's object cache holds (tests only).
func ObjectCacheLen(c *Client) int {
	if c.sh.objects == nil {
		return 0
	}
	return c.sh.objects.len()
}

// RetryDelay is retryDelay (tests only).
var RetryDelay = retryDelay

// FlightCallers reports how many callers wait on the GetOrLoad flight of
// storage key sk, the leader included (0: no flight) (tests only).
func FlightCallers(c *Client, sk string) int {
	g := &c.sh.flight
	g.mu.Lock()
	defer g.mu.Unlock()
	if call, ok := g.calls[sk]; ok {
		return call.callers
	}
	return 0
}
