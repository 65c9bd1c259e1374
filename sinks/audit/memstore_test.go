package audit

import "github.com/safeharbor/safeharbor/sinks/store/storetest"

// memStore is the shared in-memory store double.
type memStore = storetest.Mem

func newMemStore() *memStore { return storetest.NewMem() }
