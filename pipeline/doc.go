// Package pipeline consumes records from Kafka, de-identifies them, applies rules and commits only durable work.
package pipeline
