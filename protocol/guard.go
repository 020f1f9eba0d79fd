package protocol

import "encoding/binary"

// MaxDepth is the nesting bound of the hostile-MessagePack guard: the
// largest number of collection headers (arrays and maps alike) on any path
// from the root. The protocol requires a bound between 32 and 1024; 100 is
// what cachekit-ts and cachekit-rs use.
const MaxDepth = 100

// ScanMsgpack walks the headers of the first MessagePack document in data
// without materialising anything, and returns its length in bytes. It is
// the pre-scan every untrusted decode of this package runs first
// (interop-mode.md, Decode bounds): it rejects a document nested deeper
// than MaxDepth, one whose declared slots (array elements, two per map
// pair, str/bin/ext lengths) summed over the whole document exceed
// len(data)-1, one that is incomplete, and the reserved marker 0xc1.
// Rejections are *core.Error values of KindSerialization wrapping a
// *GuardError. Bytes after the first document are not examined.
func ScanMsgpack(data []byte) (n int, err error) {
	n, _, _, err = scan(data, "protocol.guard")
	return n, err
}

// CheckMsgpack is ScanMsgpack for a reader that must consume exactly one
// document: trailing bytes are rejected too (RuleTrailing), and bytes that
// start with the cachekit-py CK frame magic are reported as a
// *ForeignFrameError.
func CheckMsgpack(data []byte) error {
	_, _, err := checkOne(data, "protocol.guard")
	return err
}

// checkOne is CheckMsgpack; sentinel reports whether the document holds a
// string spelled like a temporal sentinel key, elems how many array
// elements and map pairs it declares (see scan).
func checkOne(data []byte, op string) (sentinel bool, elems uint64, err error) {
	n, sentinel, elems, err := scan(data, op)
	if err != nil {
		if isCKFrame(data) {
			return false, 0, foreignErr(op)
		}
		return false, 0, err
	}
	if n != len(data) {
		if isCKFrame(data) {
			return false, 0, foreignErr(op)
		}
		return false, 0, guardErr(op, RuleTrailing, n)
	}
	return sentinel, elems, nil
}

// scan is the guard's walk. On the way it notes whether any str item is
// spelled like a temporal sentinel key ("__datetime__", "__date__",
// "__time__"), so that decoders know when the sentinel-reviving path is
// needed without searching the payload bytes again. It also counts elems,
// the array elements and map pairs declared, which bound how many values a
// decode creates.
func scan(data []byte, op string) (n int, sentinel bool, elems uint64, err error) {
	if len(data) == 0 {
		return 0, false, 0, guardErr(op, RuleEmpty, 0)
	}
	var (
		stack  [MaxDepth]uint64 // remaining items of each open collection
		sp     int
		pos    int
		slots  uint64
		budget = uint64(len(data) - 1)
		end    = len(data)
	)
	for {
		if pos >= end {
			return 0, false, 0, guardErr(op, RuleIncomplete, pos)
		}
		b := data[pos]
		start := pos
		pos++
		var (
			lenBytes int    // width of a length field that follows
			skip     uint64 // fixed payload bytes that follow
			kind     byte   // 0 scalar, 'd' data (str/bin/ext), 'a' array, 'm' map
			count    uint64
		)
		switch {
		case b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3:
		case b >= 0xa0 && b <= 0xbf:
			kind, count = 'd', uint64(b&0x1f)
		case b >= 0x90 && b <= 0x9f:
			kind, count = 'a', uint64(b&0x0f)
		case b >= 0x80 && b <= 0x8f:
			kind, count = 'm', uint64(b&0x0f)
		default:
			switch b {
			case 0xc1:
				return 0, false, 0, guardErr(op, RuleReservedMarker, start)
			case 0xc4, 0xd9: // bin8, str8
				kind, lenBytes = 'd', 1
			case 0xc5, 0xda:
				kind, lenBytes = 'd', 2
			case 0xc6, 0xdb:
				kind, lenBytes = 'd', 4
			case 0xc7, 0xc8, 0xc9: // ext8/16/32: length, then type byte
				kind, lenBytes = 'e', 1<<(b-0xc7)
			case 0xca, 0xce, 0xd2:
				skip = 4
			case 0xcb, 0xcf, 0xd3:
				skip = 8
			case 0xcc, 0xd0:
				skip = 1
			case 0xcd, 0xd1:
				skip = 2
			case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1..16: type byte + data
				skip = 1 + uint64(1)<<(b-0xd4)
				// the fixed data counts toward the budget like ext data
				slots += skip - 1
				if slots > budget {
					return 0, false, 0, guardErr(op, RuleBudget, start)
				}
			case 0xdc:
				kind, lenBytes = 'a', 2
			case 0xdd:
				kind, lenBytes = 'a', 4
			case 0xde:
				kind, lenBytes = 'm', 2
			case 0xdf:
				kind, lenBytes = 'm', 4
			}
		}
		if lenBytes > 0 {
			if end-pos < lenBytes {
				return 0, false, 0, guardErr(op, RuleIncomplete, pos)
			}
			switch lenBytes {
			case 1:
				count = uint64(data[pos])
			case 2:
				count = uint64(binary.BigEndian.Uint16(data[pos:]))
			case 4:
				count = uint64(binary.BigEndian.Uint32(data[pos:]))
			}
			pos += lenBytes
		}
		switch kind {
		case 'e':
			skip = 1 + count // type byte, then data
			slots += count
			if slots > budget {
				return 0, false, 0, guardErr(op, RuleBudget, start)
			}
		case 'd':
			skip = count
			slots += count
			if slots > budget {
				return 0, false, 0, guardErr(op, RuleBudget, start)
			}
		case 'a', 'm':
			elems += count
			if kind == 'm' {
				count *= 2
			}
			slots += count
			if slots > budget {
				return 0, false, 0, guardErr(op, RuleBudget, start)
			}
			if sp >= MaxDepth {
				return 0, false, 0, guardErr(op, RuleDepth, start)
			}
			if count > 0 {
				stack[sp] = count
				sp++
				continue
			}
		}
		if skip > uint64(end-pos) {
			return 0, false, 0, guardErr(op, RuleIncomplete, pos)
		}
		if kind == 'd' && (skip == 8 || skip == 12) && isStrMarker(b) && isSentinelKey(data[pos:pos+int(skip)]) {
			sentinel = true
		}
		pos += int(skip)
		// one item complete: close every collection it completes
		for sp > 0 {
			stack[sp-1]--
			if stack[sp-1] > 0 {
				break
			}
			sp--
		}
		if sp == 0 {
			return pos, sentinel, elems, nil
		}
	}
}

// isStrMarker reports whether b starts a MessagePack str (fixstr, str8,
// str16, str32).
func isStrMarker(b byte) bool {
	return (b >= 0xa0 && b <= 0xbf) || b == 0xd9 || b == 0xda || b == 0xdb
}

// isSentinelKey reports whether s is one of the temporal sentinel keys.
func isSentinelKey(s []byte) bool {
	switch string(s) {
	case sentinelDateTime, sentinelDate, sentinelTime:
		return true
	}
	return false
}
