// Package examples holds runnable programs that show cachekit-go at work
// (quickstart: the embedded L1 default) and end-to-end tests that put the
// modules together: an encrypted client over an L1 whose raw bytes are
// inspected for plaintext.
package examples
