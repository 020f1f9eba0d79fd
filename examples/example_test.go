package examples

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// An encrypted client over the in-process L1: the L1 holds only ciphertext.
func Example_secure() {
	ctx := context.Background()
	l1, _ := bigcache.New()
	defer l1.Close()
	enc, err := crypto.NewFromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	cache, err := core.New(l1,
		core.WithPreset(core.PresetSecure),
		core.WithCodec(protocol.Envelope()),
		core.WithEncryptor(enc))
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	_ = cache.Set(ctx, "card", "4111-1111-1111-1111", core.TTL(time.Minute))
	raw, _, _ := l1.Get(ctx, "card")
	fmt.Println("plaintext in L1:", bytes.Contains(raw.Value, []byte("4111")))
	v, _, _ := core.Get[string](ctx, cache, "card")
	fmt.Println("read back:", v)
	// Output:
	// plaintext in L1: false
	// read back: 4111-1111-1111-1111
}
