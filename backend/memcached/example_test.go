package memcached_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/memcached"
	"github.com/cachekit-io/cachekit-go/core"
)

// A Backend on a memcached server, as the storage tier of a client. Keys
// memcached cannot carry as they are are stored under their hashed form.
func Example() {
	b, err := memcached.New([]string{"127.0.0.1:11211"}, memcached.WithTimeout(500*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	_ = func(ctx context.Context) error {
		return b.Set(ctx, "user:42", []byte("payload"), time.Minute)
	}
	var _ core.Backend = b
	fmt.Println(b)
	fmt.Println(memcached.StorageKey("user:42"))
	fmt.Println(memcached.StorageKey("a key with spaces"))
	// Output:
	// memcached.Backend(127.0.0.1:11211)
	// user:42
	// a_key_with_spaces:837a77f0a7be90192abd361923a0052e
}
