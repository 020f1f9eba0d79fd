package cachekit

import (
	"strconv"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/otter"
)

// stackOptions are the options Stack takes: the ones that shape the tiers.
var stackOptions = []string{"WithL1MaxBytes", "WithoutL1", "WithInvalidation", "WithObserver"}

// Stack builds the tiers preset p puts in front of backend — an l1/otter
// L1 (W-TinyLFU eviction, bounded in bytes) composed over it (compose.TiersWith), following backend's
// invalidations unless p is minimal — and returns the stack and the
// function that releases what Stack built. It is what the constructors
// use below the client (codec, encryption, TTL and retries are the
// client's, so an encrypting client keeps only ciphertext in the L1 too);
// it is exported for tests and for callers who wrap the stack further.
// Only WithL1MaxBytes, WithoutL1, WithInvalidation and WithObserver
// (the composition's per-tier events) apply; any other
// option is a core.KindConfig error.
//
// The release function does not close backend, which the caller owns: it
// ends the stack's watch on backend's invalidations and closes what Stack
// built (compose.WithBorrowedBottom).
func Stack(p core.Preset, backend core.Backend, opts ...Option) (core.Backend, func() error, error) {
	cfg := collect(opts)
	for _, g := range cfg.given {
		if !contains(stackOptions, g) {
			return nil, nil, configErr("cachekit.stack", g+" is not a stack option (Stack takes "+joinNames(stackOptions)+")")
		}
	}
	if p < core.PresetMinimal || p > core.PresetIO {
		return nil, nil, configErr("cachekit.stack", "unknown preset "+p.String())
	}
	if backend == nil {
		return nil, nil, configErr("cachekit.stack", "nil backend")
	}
	return buildStack(p, backend, false, cfg, nil)
}

// buildStack is the stack posture of every preset, defined here once: an
// L1 unless WithoutL1, cross-process invalidation unless the preset is
// minimal (PRE-7, PRE-8, PRE-9). owned says that the preset opened backend
// itself, so releasing the stack closes it too. guard, when not nil, is the
// codec of the client over the stack, which checks the L1's copies
// (compose.WithGuard); nil for a client that encrypts.
func buildStack(p core.Preset, backend core.Backend, owned bool, cfg *config, guard core.Codec) (core.Backend, func() error, error) {
	if cfg.l1MaxBytes < 0 {
		return nil, nil, configErr("cachekit.l1", "WithL1MaxBytes: negative bound "+strconv.FormatInt(cfg.l1MaxBytes, 10)+" (0: unbounded)")
	}
	if cfg.noL1 {
		release := func() error { return nil }
		if owned {
			release = func() error { return closeIfCloser(backend) }
		}
		return backend, release, nil
	}
	l1, err := otter.New(otter.WithMaxBytes(cfg.l1MaxBytes), otter.WithObserver(cfg.observer))
	if err != nil {
		return nil, nil, err
	}
	inv := p != core.PresetMinimal
	if cfg.invalidation != nil {
		inv = *cfg.invalidation
	}
	copts := []compose.Option{compose.WithNames("l1"), compose.WithInvalidation(inv)}
	if cfg.observer != nil {
		copts = append(copts, compose.WithObserver(cfg.observer))
	}
	if guard != nil {
		copts = append(copts, compose.WithGuard(guard))
	}
	if !owned {
		// The caller's backend stays open when the stack is released.
		copts = append(copts, compose.WithBorrowedBottom())
	}
	stack, err := compose.TiersWith(copts, l1, backend)
	if err != nil {
		_ = l1.Close()
		return nil, nil, err
	}
	return stack, stack.Close, nil
}

// inProcess is the L1 alone, for FromEnv's in-process default.
func inProcess(cfg *config) (core.Backend, func() error, error) {
	if cfg.l1MaxBytes < 0 {
		return nil, nil, configErr("cachekit.l1", "WithL1MaxBytes: negative bound "+strconv.FormatInt(cfg.l1MaxBytes, 10)+" (0: unbounded)")
	}
	l1, err := otter.New(otter.WithMaxBytes(cfg.l1MaxBytes))
	if err != nil {
		return nil, nil, err
	}
	return l1, l1.Close, nil
}

func closeIfCloser(b core.Backend) error {
	if c, ok := b.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
