package protocol_test

import (
	"fmt"

	"github.com/cachekit-io/cachekit-go/protocol"
)

type User struct {
	Name string
	Age  int
}

func Example() {
	codec := protocol.Envelope()
	stored, err := codec.Marshal(User{Name: "alice", Age: 30})
	if err != nil {
		panic(err)
	}
	var u User
	if err := codec.Unmarshal(stored, &u); err != nil {
		panic(err)
	}
	fmt.Println(u.Name, u.Age, codec.Format(), codec.Compressed())
	// Output: alice 30 msgpack true
}

func ExampleInteropKey() {
	key, err := protocol.InteropKey("users", "get_user", 42)
	if err != nil {
		panic(err)
	}
	fmt.Println(key)
	// Output: users:get_user:61598716255080080f6456eb065c2e51badfaa4320b0efe97469c29cffee8875
}

func ExampleMsgpack() {
	b, _ := protocol.Msgpack().Marshal(map[string]any{"name": "alice", "age": 30})
	fmt.Printf("%x\n", b)
	// Output: 82a36167651ea46e616d65a5616c696365
}
