//go:build unix

package access

import (
	"io/fs"
	"syscall"
)

// owner returns the uid owning a file.
func owner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, false
	}
	return int(st.Uid), true
}
