package ingest

import "syscall"

var (
	errTooManyFiles error = syscall.EMFILE
	errConnAborted  error = syscall.ECONNABORTED
)
