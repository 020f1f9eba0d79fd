package zstd_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/cachekit-io/cachekit-go/codec/zstd"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// MessagePack values compressed with zstd from 1 KiB on, through a client.
func Example() {
	codec, err := zstd.New(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	backend := newMap()
	cache, err := core.New(backend, core.WithCodec(codec))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close()
	ctx := context.Background()
	page := strings.Repeat("<p>the same paragraph</p>", 2000) // 50 KB
	if err := cache.Set(ctx, "page", page); err != nil {
		fmt.Println(err)
		return
	}
	got, _, _ := core.Get[string](ctx, cache, "page")
	for _, v := range backend.m {
		fmt.Println(len(page), "bytes stored in fewer than 1000:", len(v) < 1000)
	}
	fmt.Println(got == page)

	// Interop mode keeps the wire MessagePack: zstd refuses it.
	_, err = zstd.New(protocol.Msgpack())
	fmt.Println(core.KindOf(err))
	// Output:
	// 50000 bytes stored in fewer than 1000: true
	// true
	// config
}
