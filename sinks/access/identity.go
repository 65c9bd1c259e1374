package access

import (
	"errors"
	"fmt"
	"os/user"
)

// Identity is who is acting. For the CLI it is the OS account of the process
// (its real uid: what login, ssh or sudo -u established), never a flag or an
// environment variable such as USER or SUDO_USER, which the caller controls.
type Identity struct {
	// User is the account name recorded in the audit trail and checked
	// against the policy.
	User string
	// UID is the numeric account id.
	UID string
	// Via says how the identity was established ("os").
	Via string
	// Client is the client recorded in the audit trail ("local" for the CLI,
	// "pipeline" for the service).
	Client string
}

// Identifier establishes the acting identity.
type Identifier func() (Identity, error)

// OSUser is the Identifier of the CLI: the account of the process's real uid.
func OSUser() (Identity, error) {
	u, err := user.Current()
	if err != nil {
		return Identity{}, fmt.Errorf("access: cannot identify the OS account: %w", err)
	}
	if u.Username == "" {
		return Identity{}, errors.New("access: the OS account has no name")
	}
	return Identity{User: u.Username, UID: u.Uid, Via: "os", Client: "local"}, nil
}
