// Command nodriver links the cachekit package and no adapter: IO and
// FromEnv must say which package to import (TestPRE50_IONeedsItsDriver).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
)

func main() {
	_, err := cachekit.IO("ck_test_key")
	fmt.Printf("IO: %v: %s\n", core.KindOf(err), msg(err))
	os.Setenv("CACHEKIT_REDIS_URL", "redis://127.0.0.1:6379")
	_, err = cachekit.FromEnv(context.Background())
	fmt.Printf("FromEnv: %v: %s\n", core.KindOf(err), msg(err))
}

func msg(err error) string {
	if e, ok := err.(*core.Error); ok {
		return e.Msg
	}
	return fmt.Sprint(err)
}
