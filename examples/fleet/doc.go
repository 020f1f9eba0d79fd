// Package fleet holds the fleet tests of the distributed fill lock: several
// OS processes (the test binary run again as helpers) share one Redis or one
// reference server, miss the same key at once, and must run its loader once
// across the fleet. It has no API; see fleet_test.go.
package fleet
