//go:build unix

package audit

import "syscall"

// noFollow makes OpenFile refuse a symbolic link as the last path element.
const noFollow = syscall.O_NOFOLLOW
