// Package version reports the build version of safeharbor.
package version

// Version is the release version; overridden at link time with
// -ldflags "-X github.com/safeharbor/safeharbor/internal/version.Version=...".
var Version = "0.1.0-dev"
