package ingest

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedConfig configures an embedded Kafka-protocol broker for tests and
// demos.
type EmbeddedConfig struct {
	Port       int      // loopback port; 0 picks a free one
	Topics     []string // topics to create
	Partitions int32    // partitions per topic; ≤ 0 uses kfake's default (10)
	// DataDir, when set, persists the broker's data so that a broker started
	// again with the same DataDir and Port finds its records.
	DataDir string
}

// StartEmbedded starts a single-broker kfake cluster listening on
// 127.0.0.1 and returns it with its address. Close the cluster to stop it.
func StartEmbedded(cfg EmbeddedConfig) (*kfake.Cluster, string, error) {
	if len(cfg.Topics) == 0 {
		return nil, "", errors.New("ingest: embedded broker needs a topic")
	}
	parts := cfg.Partitions
	if parts <= 0 {
		parts = -1
	}
	opts := []kfake.Opt{kfake.Ports(cfg.Port), kfake.SeedTopics(parts, cfg.Topics...)}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, "", err
	}
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		c.Close()
		return nil, "", errors.New("ingest: embedded broker has no listener")
	}
	return c, addrs[0], nil
}
