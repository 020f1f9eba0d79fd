package protocol

import (
	"strconv"

	"github.com/cachekit-io/cachekit-go/core"
)

// Rule names the protocol rule a rejected input broke. Every decode
// rejection of this package carries one, inside a *GuardError, a
// *FormatError or a *ForeignFrameError, wrapped in a *core.Error.
type Rule string

// The rules a decode can break.
const (
	// RuleDepth: the document nests collections deeper than MaxDepth.
	RuleDepth Rule = "nesting depth"
	// RuleBudget: the declared lengths and counts, summed over the whole
	// document, exceed the input length minus one.
	RuleBudget Rule = "declared-length budget"
	// RuleIncomplete: the document ends before its last declared byte.
	RuleIncomplete Rule = "incomplete document"
	// RuleReservedMarker: the never-used MessagePack marker 0xc1 appears
	// where a value starts.
	RuleReservedMarker Rule = "reserved marker 0xc1"
	// RuleTrailing: bytes follow the one complete document.
	RuleTrailing Rule = "trailing bytes"
	// RuleEmpty: there is no document at all.
	RuleEmpty Rule = "empty input"
	// RuleShape: the document is well-formed MessagePack but not the
	// structure the container requires (arity, element type, value range).
	RuleShape Rule = "container shape"
	// RuleSizeCap: a size exceeds the protocol's 512 MiB cap.
	RuleSizeCap Rule = "512 MiB size cap"
	// RuleMaxSize: a size exceeds the limit configured with WithMaxSize.
	RuleMaxSize Rule = "configured max size"
	// RuleZeroLength: compressed data is empty.
	RuleZeroLength Rule = "zero-length compressed data"
	// RuleRatio: the declared original size exceeds 1000 times the
	// compressed size.
	RuleRatio Rule = "1000:1 compression ratio"
	// RuleLZ4: the compressed data is not a valid LZ4 block.
	RuleLZ4 Rule = "lz4 block"
	// RuleLength: the decompressed length differs from the declared
	// original size.
	RuleLength Rule = "decompressed length"
	// RuleChecksum: the xxHash3-64 checksum does not match.
	RuleChecksum Rule = "checksum"
	// RuleFormat: the envelope's format field is not "msgpack".
	RuleFormat Rule = "format token"
	// RuleMagic: an interop-v2 container does not start with 0xC1.
	RuleMagic Rule = "container magic"
	// RuleVersion: an interop-v2 container version is not 0x02.
	RuleVersion Rule = "container version"
	// RuleMethod: an interop-v2 compression method is not registered.
	RuleMethod Rule = "compression method"
	// RuleMarker: an interop-v2 element uses a forbidden MessagePack marker
	// (a signed-family integer, a non-bin payload).
	RuleMarker Rule = "element marker"
	// RuleForeignFrame: the bytes are another SDK's container.
	RuleForeignFrame Rule = "foreign container"
	// RuleType: a value cannot be decoded into the requested Go type.
	RuleType Rule = "target type"
)

// GuardError is the hostile-MessagePack pre-scan's rejection: the document
// was refused before any decoder touched it, so nothing was allocated from
// its declared lengths.
type GuardError struct {
	// Rule is RuleDepth, RuleBudget, RuleIncomplete, RuleReservedMarker,
	// RuleTrailing or RuleEmpty.
	Rule Rule
	// Offset is the byte offset at which the rule was found broken.
	Offset int
}

// Error implements error.
func (e *GuardError) Error() string {
	return "msgpack guard: " + string(e.Rule) + " at offset " + strconv.Itoa(e.Offset)
}

// FormatError is a container rejection: the ByteStorage envelope or the
// interop-v2 container broke one of its rules.
type FormatError struct {
	// Container is "envelope", "interop-v2" or "msgpack".
	Container string
	// Rule is the rule broken.
	Rule Rule
	// Detail says more, in words; it never holds value bytes.
	Detail string
}

// Error implements error.
func (e *FormatError) Error() string {
	s := e.Container + ": " + string(e.Rule)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// ForeignFrameError reports bytes that belong to another SDK's auto-mode
// container. Such bytes are never decoded (WIRE-21).
type ForeignFrameError struct {
	// Frame names the container, e.g. "cachekit-py CK v3 frame".
	Frame string
}

// Error implements error.
func (e *ForeignFrameError) Error() string {
	return "foreign container: " + e.Frame + " (a Python-SDK-internal auto-mode entry; it is never decoded)"
}

// RuleOf returns the Rule named by the first GuardError, FormatError or
// ForeignFrameError in err's chain, or "" if there is none.
func RuleOf(err error) Rule {
	for err != nil {
		switch e := err.(type) {
		case *GuardError:
			return e.Rule
		case *FormatError:
			return e.Rule
		case *ForeignFrameError:
			return RuleForeignFrame
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		default:
			return ""
		}
	}
	return ""
}

const pythonFrame = "cachekit-py CK v3 frame"

func serErr(op string, cause error) error {
	return &core.Error{Kind: core.KindSerialization, Op: op, Err: cause}
}

func guardErr(op string, rule Rule, off int) error {
	return serErr(op, &GuardError{Rule: rule, Offset: off})
}

func formatErr(op, container string, rule Rule, detail string) error {
	kind := core.KindSerialization
	if rule == RuleMaxSize {
		kind = core.KindPayloadTooLarge
	}
	return &core.Error{Kind: kind, Op: op, Err: &FormatError{Container: container, Rule: rule, Detail: detail}}
}

func foreignErr(op string) error {
	return serErr(op, &ForeignFrameError{Frame: pythonFrame})
}

func invalidInput(op, msg string) error {
	return &core.Error{Kind: core.KindInvalidInput, Op: op, Msg: msg}
}

func tooLarge(op, msg string) error {
	return &core.Error{Kind: core.KindPayloadTooLarge, Op: op, Msg: msg}
}

// isCKFrame reports whether b starts like a cachekit-py CK v3 frame.
func isCKFrame(b []byte) bool { return len(b) >= 2 && b[0] == 0x43 && b[1] == 0x4B }
