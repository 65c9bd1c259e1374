package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersionAndHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"version"}, nil, &out, &errb); code != exitOK || !strings.HasPrefix(out.String(), "safeharbor ") {
		t.Fatalf("version: code %d out %q", code, out.String())
	}
	out.Reset()
	if code := dispatch([]string{"help"}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "version") {
		t.Fatalf("help: code %d out %q", code, out.String())
	}
	errb.Reset()
	if code := dispatch([]string{"nope"}, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown: code %d err %q", code, errb.String())
	}
	if code := dispatch(nil, nil, &out, &errb); code != exitUsage {
		t.Fatalf("no args: code %d", code)
	}
}
