//go:build !unix

package access

// noFollow is not available on this platform.
const noFollow = 0
