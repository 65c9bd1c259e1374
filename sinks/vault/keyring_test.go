package vault_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeharbor/safeharbor/sinks/vault"
)

func TestKeyringFile(t *testing.T) {
	k32 := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	k16 := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	good := write("good", "# keys\nold:"+k32+"\n\nnew:"+k32+"\n", 0o600)
	kr, err := vault.LoadKeyring(good)
	if err != nil || kr.Newest() != "new" || strings.Join(kr.IDs(), ",") != "old,new" {
		t.Fatalf("good: %v %v", kr, err)
	}
	js := write("json", `{"keys":[{"id":"a","key":"`+k32+`"},{"id":"b","key":"`+k32+`"}]}`, 0o400)
	if kr, err := vault.LoadKeyring(js); err != nil || kr.Newest() != "b" {
		t.Fatalf("json: %v", err)
	}
	cases := map[string]struct {
		body string
		mode os.FileMode
		want string
	}{
		"world":  {"a:" + k32, 0o644, "0644"},
		"group":  {"a:" + k32, 0o640, "0640"},
		"short":  {"a:" + k16, 0o600, "16 bytes"},
		"dup":    {"a:" + k32 + "\na:" + k32, 0o600, "duplicate"},
		"empty":  {"# nothing\n", 0o600, "no keys"},
		"nocol":  {k32, 0o600, "line 1"},
		"badb64": {"a:!!!" + k32, 0o600, "base64"},
		"badid":  {"a b:" + k32, 0o600, "key id"},
	}
	for name, c := range cases {
		p := write(name, c.body, c.mode)
		_, err := vault.LoadKeyring(p)
		if !errors.Is(err, vault.ErrKeyring) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: want error naming %s and %q, got %v", name, p, c.want, err)
		}
		if err != nil && (strings.Contains(err.Error(), k32) || strings.Contains(err.Error(), k16)) {
			t.Errorf("%s: key material in error", name)
		}
	}
	if _, err := vault.LoadKeyring(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
	if s := kr.String(); strings.Contains(s, k32) {
		t.Fatal("String prints key")
	}
}
