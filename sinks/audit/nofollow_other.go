//go:build !unix

package audit

// noFollow is not available on this platform.
const noFollow = 0
