package access

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// TrustError explains why a configuration or secret file was not believed.
// It names the file and the rule, never the content.
type TrustError struct {
	Path   string
	Reason string
}

// Error says which file and why.
func (e *TrustError) Error() string { return fmt.Sprintf("access: %s: %s", e.Path, e.Reason) }

// Trust says which accounts may own the files the guard believes (the access
// configuration, the policy, the audit key): root and the service account.
type Trust struct {
	// UIDs are the trusted owners (root is always trusted).
	UIDs []int
}

func (t Trust) trusted(uid int) bool {
	if uid == 0 {
		return true
	}
	for _, u := range t.UIDs {
		if u == uid {
			return true
		}
	}
	return false
}

// TrustAccount returns a Trust of root and the named account (when it exists).
func TrustAccount(name string) Trust {
	if name == "" {
		return Trust{}
	}
	u, err := user.Lookup(name)
	if err != nil {
		return Trust{}
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return Trust{}
	}
	return Trust{UIDs: []int{uid}}
}

// CheckTrusted checks that path is a regular file (not a symbolic link) owned
// by a trusted account and not writable by group or others, and that its
// directory is owned by root or a trusted account and not writable by group
// or others: so nobody but root and the service account can have written it
// or swapped it.
func (t Trust) CheckTrusted(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return &TrustError{Path: path, Reason: errText(err)}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &TrustError{Path: path, Reason: "is a symbolic link; give the real path"}
	}
	if !fi.Mode().IsRegular() {
		return &TrustError{Path: path, Reason: "is not a regular file"}
	}
	if err := t.checkOwnerMode(path, fi, "file"); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	if err != nil {
		return &TrustError{Path: dir, Reason: errText(err)}
	}
	return t.checkOwnerMode(dir, di, "directory")
}

func (t Trust) checkOwnerMode(path string, fi fs.FileInfo, what string) error {
	uid, ok := owner(fi)
	if !ok {
		return &TrustError{Path: path, Reason: "cannot read the owner on this platform"}
	}
	if !t.trusted(uid) {
		return &TrustError{Path: path, Reason: fmt.Sprintf("%s is owned by uid %d; it must be owned by root or the service account", what, uid)}
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return &TrustError{Path: path, Reason: fmt.Sprintf("%s has mode %#o; it must not be writable by group or others (chmod go-w)", what, fi.Mode().Perm())}
	}
	return nil
}

// ReadSecretFile reads a secret (a key or password) from path after checking
// that no one but the file's owner can read or write it (mode 0600 or
// stricter) and that the owner is root or the account running this process.
// what names the setting in errors; the content is never quoted.
func ReadSecretFile(what, path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s: no file given (there are no default secrets)", what)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s: %s", what, errText(err))
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %s is not a regular file", what, path)
	}
	if p := fi.Mode().Perm(); p&0o077 != 0 {
		return "", fmt.Errorf("%s: %s has mode %#o; it must not be accessible by group or others (chmod 600)", what, path, p)
	}
	if uid, ok := owner(fi); ok && uid != 0 && uid != os.Geteuid() {
		return "", fmt.Errorf("%s: %s is owned by uid %d, not by this process's account or root", what, path, uid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %s", what, errText(err))
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty", what, path)
	}
	return s, nil
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
