// Package examples holds runnable programs that show cachekit-go at work
// (quickstart: cachekit.FromEnv with the embedded in-process default) and
// end-to-end tests that put the modules together: the presets' runnable
// examples (production over Redis, secure from the environment, io against
// the reference server), the conformance suite over the stacks the presets
// build, a Redis-only program's dependency graph, and an encrypted client
// over an L1 whose raw bytes are inspected for plaintext.
package examples
