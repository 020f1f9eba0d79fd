package crypto_test

import (
	"errors"
	"fmt"

	"github.com/cachekit-io/cachekit-go/crypto"
)

func Example() {
	// In production the key comes from a secret manager or
	// CACHEKIT_MASTER_KEY (crypto.NewFromEnv); `openssl rand -hex 32` makes one.
	enc, err := crypto.NewFromHex(
		"6161616161616161616161616161616161616161616161616161616161616161",
		crypto.WithTenant("acme"),
	)
	if err != nil {
		panic(err)
	}
	defer enc.Close()

	// Seal a value bound to its full storage key, the codec's format token
	// and compression flag.
	sealed, err := enc.Encrypt([]byte("hello"), "ns:app:greeting", "msgpack", false)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(sealed) == len("hello")+crypto.Overhead)

	plain, err := enc.Decrypt(sealed, "ns:app:greeting", "msgpack", false)
	fmt.Println(string(plain), err)

	// Presented under another key, it does not authenticate.
	_, err = enc.Decrypt(sealed, "ns:other:greeting", "msgpack", false)
	fmt.Println(errors.Is(err, crypto.ErrAuthentication))

	// The key never prints.
	fmt.Printf("%v\n", enc)
	// Output:
	// true
	// hello <nil>
	// true
	// crypto.Encryptor(tenant="acme", keys=1, [REDACTED])
}

func ExampleNewFromHex_rotation() {
	const oldKey = "1111111111111111111111111111111111111111111111111111111111111111"
	const newKey = "2222222222222222222222222222222222222222222222222222222222222222"

	before, _ := crypto.NewFromHex(oldKey)
	defer before.Close()
	sealed, _ := before.Encrypt([]byte("v1"), "user:1", "msgpack", true)

	// After rotation the old key is decrypt-only (CACHEKIT_PREVIOUS_MASTER_KEYS).
	after, _ := crypto.NewFromHex(newKey, crypto.WithPreviousKeysHex(oldKey))
	defer after.Close()
	plain, err := after.Decrypt(sealed, "user:1", "msgpack", true)
	fmt.Println(string(plain), err)

	// Putting the current key back among the previous keys is refused.
	_, err = crypto.NewFromHex(newKey, crypto.WithPreviousKeysHex(oldKey, newKey))
	fmt.Println(errors.Is(err, crypto.ErrInvalidKeyring), crypto.IsConfig(err))
	// Output:
	// v1 <nil>
	// true true
}
