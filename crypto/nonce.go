package crypto

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// The process-wide instance counter. Its start is a random 32-bit value in
// the upper half, so that two processes sharing a key are unlikely to hand
// out the same instance id; within a process every Encryptor gets its own id.
var (
	instanceOnce sync.Once
	instanceSeq  atomic.Uint64
)

// nextInstanceID returns a process-unique 8-byte instance id.
func nextInstanceID() uint64 {
	instanceOnce.Do(func() {
		var seed [4]byte
		_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails; on failure the program crashes.
		instanceSeq.Store(uint64(binary.BigEndian.Uint32(seed[:])) << 32)
	})
	return instanceSeq.Add(1)
}

// maxNonceCounter is the last per-instance counter value; the next encryption
// fails with ErrNonceExhausted instead of wrapping to 0.
const maxNonceCounter = 1<<32 - 1

// putNonce writes the counter nonce: the instance id as a big-endian uint64,
// then the counter as a big-endian uint32.
func putNonce(dst []byte, instance uint64, counter uint32) {
	binary.BigEndian.PutUint64(dst[:8], instance)
	binary.BigEndian.PutUint32(dst[8:NonceSize], counter)
}
