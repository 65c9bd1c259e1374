package access

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"time"
)

// EmergencyEvent is the name of the WARN log event and of the alert that
// break-glass access raises.
const EmergencyEvent = "vault.emergency_access"

// emergencyTotal counts break-glass accesses granted in this process.
var emergencyTotal = expvar.NewInt("safeharbor_emergency_access_total")

// EmergencyTotal returns how many break-glass accesses this process granted.
func EmergencyTotal() int64 { return emergencyTotal.Value() }

// Alert is what the emergency hook receives (JSON). It names the user, action
// and pseudonym, never PHI and never the free-text reason.
type Alert struct {
	Event    string `json:"event"`
	Time     string `json:"time"`
	User     string `json:"user"`
	Action   string `json:"action"`
	Via      string `json:"via"`
	RecordID string `json:"record_id"`
	Host     string `json:"client"`
}

// raise delivers a to every configured hook (command, webhook) and logs it at
// WARN; it fails if any configured hook fails, so that break-glass access is
// refused when nobody would hear of it.
func (c *AlertConfig) raise(ctx context.Context, a Alert, log io.Writer) error {
	body, _ := json.Marshal(a)
	if log != nil {
		slog.New(slog.NewJSONHandler(log, nil)).Warn("emergency access granted; review required",
			"event", a.Event, "user", a.User, "action", a.Action, "via", a.Via, "record_id", a.RecordID,
			"emergency_access_total", emergencyTotal.Value())
	}
	var errs []error
	timeout := c.Timeout.Duration
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if len(c.Command) > 0 {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		cmd := exec.CommandContext(cctx, c.Command[0], c.Command[1:]...)
		cmd.Stdin = bytes.NewReader(body)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "SAFEHARBOR_ALERT_EVENT=" + a.Event}
		if err := cmd.Run(); err != nil {
			errs = append(errs, fmt.Errorf("alert command: %v", err))
		}
		cancel()
	}
	if c.Webhook != "" {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		req, err := http.NewRequestWithContext(cctx, http.MethodPost, c.Webhook, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			var resp *http.Response
			resp, err = http.DefaultClient.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("alert webhook: %v", err))
		}
	}
	return errors.Join(errs...)
}
