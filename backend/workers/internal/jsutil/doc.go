// Package jsutil holds the syscall/js helpers that the fetch Transport and
// the worker package share: awaiting a promise from a goroutine, turning a
// thrown JavaScript exception into an error instead of a panic, copying
// headers and bytes across the boundary, and reading a ReadableStream as an
// io.Reader. Everything but this comment needs GOOS=js GOARCH=wasm.
package jsutil
