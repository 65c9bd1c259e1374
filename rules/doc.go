// Package rules compiles and evaluates minimum-necessary rules that turn de-identified messages into dataset rows.
package rules
