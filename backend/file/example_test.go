//go:build linux || darwin || freebsd || netbsd || openbsd

package file_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	file "github.com/cachekit-io/cachekit-go/backend/file"
)

func Example() {
	tmp, err := os.MkdirTemp("", "cachekit-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)

	// A directory a cachekit-py or cachekit-rs process may share.
	b, err := file.New(filepath.Join(tmp, "cache"), file.WithMaxBytes(256<<20))
	if err != nil {
		panic(err)
	}
	defer b.Close()

	ctx := context.Background()
	_ = b.Set(ctx, "ns:demo:greeting", []byte("hello"), time.Minute)

	e, found, _ := b.Get(ctx, "ns:demo:greeting")
	fmt.Println(found, string(e.Value))
	fmt.Println("stored in", file.FileName("ns:demo:greeting"))

	_ = b.Delete(ctx, "ns:demo:greeting")
	_, found, _ = b.Get(ctx, "ns:demo:greeting")
	fmt.Println(found)
	// Output:
	// true hello
	// stored in e945981a594f94e270c11b016b81b886
	// false
}
