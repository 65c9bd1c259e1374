package pipeline

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedBroker is an in-process Kafka-protocol broker on 127.0.0.1
// (github.com/twmb/franz-go/pkg/kfake), for running on one box with no
// external servers. Data lives in memory only.
type EmbeddedBroker struct {
	c *kfake.Cluster
}

// StartEmbeddedBroker starts a one-node broker on 127.0.0.1:port (0 picks a
// free port) with the given topics, each with partitions partitions.
func StartEmbeddedBroker(port int, partitions int32, topics ...string) (*EmbeddedBroker, error) {
	if partitions <= 0 {
		partitions = 1
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.DefaultNumPartitions(int(partitions))}
	if port > 0 {
		opts = append(opts, kfake.Ports(port))
	}
	var ts []string
	for _, t := range topics {
		if t != "" {
			ts = append(ts, t)
		}
	}
	if len(ts) > 0 {
		opts = append(opts, kfake.SeedTopics(partitions, ts...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("pipeline: embedded broker: %w", err)
	}
	return &EmbeddedBroker{c: c}, nil
}

// Addrs returns the broker's listen addresses (host:port).
func (b *EmbeddedBroker) Addrs() []string { return b.c.ListenAddrs() }

// Close stops the broker.
func (b *EmbeddedBroker) Close() { b.c.Close() }
