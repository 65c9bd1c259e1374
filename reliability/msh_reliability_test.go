package reliability

import (
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestHeaderOnlyMSHIsPoison: an ER7 record cut right after the encoding
// characters ("MSH|^~\&|", no MSH-9 message type, no MSH-10 control id) goes
// to the DLQ (class hl7_no_message_type), not to the vault as a message.
func TestHeaderOnlyMSHIsPoison(t *testing.T) {
	const parts = 1
	c := bigBroker(t, parts, 0, "")
	defer c.Close()
	brokers := c.ListenAddrs()
	e := newInproc(t, brokers, "msh")
	_, stop, _ := e.run(t)
	w := newWriter(brokers)
	defer w.Close()
	produce(t, w, []kafka.Message{{Topic: tHL7, Value: []byte("MSH|^~\\&|")}})
	waitFor(t, time.Minute, "committed", func() bool {
		m, err := committed(t, brokers, "msh", []string{tHL7}, parts)
		return err == nil && sumOffsets(m) == 1
	}, e.logs)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if bad, _ := vaultOffsets(t, e.v, e.vst, true); len(bad) != 1 {
		t.Fatalf("header-only MSH: %d DLQ records, want 1 (it was accepted as a valid message)", len(bad))
	}
}
