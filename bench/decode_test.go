package bench

import (
	"testing"

	rediscache "github.com/go-redis/cache/v9"
	"github.com/shamaton/msgpack/v2"
	vmsgpack "github.com/vmihailenco/msgpack/v5"

	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// decoders are the decode steps of each library's L1 hit: the bytes it keeps
// in its L1, back into a Profile. encode makes those bytes from a value.
var decoders = []struct {
	lib    string
	encode func(tb testing.TB, v Profile) []byte
	decode func(data []byte, v *Profile) error
}{
	{libCachekit, // protocol.Msgpack: hostile-input guard, temporal-sentinel check, shamaton
		func(tb testing.TB, v Profile) []byte { return must(tb)(protocol.Msgpack().Marshal(v)) },
		func(data []byte, v *Profile) error { return protocol.Msgpack().Unmarshal(data, v) }},
	{libEncrypted, nil, nil}, // AES-256-GCM open, then the same (built in BenchmarkDecode)
	{libGocache, // eko's marshaler: vmihailenco/msgpack
		func(tb testing.TB, v Profile) []byte { return must(tb)(vmsgpack.Marshal(v)) },
		func(data []byte, v *Profile) error { return vmsgpack.Unmarshal(data, v) }},
	{libRedisCache, // go-redis/cache: s2 block decode (values from 64 B), then vmihailenco/msgpack
		func(tb testing.TB, v Profile) []byte { return must(tb)(redisCacheCodec.Marshal(v)) },
		func(data []byte, v *Profile) error { return redisCacheCodec.Unmarshal(data, v) }},
	{libRaw, // shamaton/msgpack alone
		func(tb testing.TB, v Profile) []byte { return must(tb)(msgpack.Marshal(v)) },
		func(data []byte, v *Profile) error { return msgpack.Unmarshal(data, v) }},
}

// redisCacheCodec is a go-redis/cache Cache used only for its default
// Marshal and Unmarshal.
var redisCacheCodec = rediscache.New(&rediscache.Options{})

func must(tb testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
}

// BenchmarkDecode isolates the decode step of an L1 hit, per library: the
// profile analysis in README.md uses it to split an L1 hit into lookup and
// decode. It is not one of the rows and no target reads it.
func BenchmarkDecode(b *testing.B) {
	for _, s := range sizes {
		for _, d := range decoders {
			b.Run("size="+s.name+"/lib="+d.lib, func(b *testing.B) {
				v := value(s)
				encode, decode := d.encode, d.decode
				if d.lib == libEncrypted {
					enc, err := crypto.NewFromHex(masterKeyHex)
					if err != nil {
						b.Fatal(err)
					}
					defer enc.Close()
					codec := protocol.Msgpack()
					encode = func(tb testing.TB, v Profile) []byte {
						return must(tb)(enc.Encrypt(must(tb)(codec.Marshal(v)), "k", codec.Format(), codec.Compressed()))
					}
					decode = func(data []byte, v *Profile) error {
						plain, err := enc.Decrypt(data, "k", codec.Format(), codec.Compressed())
						if err != nil {
							return err
						}
						return codec.Unmarshal(plain, v)
					}
				}
				data := encode(b, v)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var got Profile
					if err := decode(data, &got); err != nil || got.ID != v.ID || len(got.Blob) != len(v.Blob) {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
