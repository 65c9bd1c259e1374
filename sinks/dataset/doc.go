// Package dataset writes de-identified rows as Parquet datasets (Apache Arrow
// builders, zstd, Hive-style year partitions) to a store.Store, naming every
// file after the source offsets it holds so that a replay overwrites instead
// of duplicating, and reporting which offsets are durable.
package dataset
