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
