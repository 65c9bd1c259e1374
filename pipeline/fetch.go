package pipeline

import "time"

// fetchGrace is how much longer than Config.MaxWait a partition reader
// waits for the broker's answer to a fetch.
//
// kafka-go derives both ends of a fetch from the Reader's MaxWait: the
// client's read deadline is MaxWait, and the wait it asks the broker for is
// MaxWait less a round-trip allowance of a quarter of it (below one second)
// or of one second (from one second on). With MaxWait = Config.MaxWait the
// broker had Config.MaxWait/4 (50 ms at 200 ms) to answer an idle fetch: a
// broker or a box briefly busy (GC, CPU load, a large record being written
// or read) answered late, the read timed out, the reader dropped the
// connection and reported an error, and readiness showed the input failing
// although nothing was wrong. Asking for Config.MaxWait + fetchGrace makes
// kafka-go ask the broker for Config.MaxWait and wait a full second longer
// for the answer: only a broker that is really late or away is an error.
const fetchGrace = time.Second

// readerMaxWait is the kafka-go ReaderConfig.MaxWait for a configured
// fetch wait (see fetchGrace).
func readerMaxWait(wait time.Duration) time.Duration { return wait + fetchGrace }

// A partition's input counts for readiness like a sink. kafka-go retries a
// failed fetch inside its Reader and only tells its ErrorLogger, so the
// partition's watcher (every inputWatchTick) marks the input failing once
// an error persists: a second error within inputQuiet of the one before
// (the Reader retries at least every second while the broker is away) or
// an error the Reader returns after its retries. One error that the retry
// repairs (a connection dropped, an answer later than fetchGrace on a
// box under load) is logged at debug and does not make the process not
// ready. The input is recovered once no error came for inputQuiet, so
// readiness lags a recovery by at most inputQuiet + inputWatchTick.
const (
	inputWatchTick = 250 * time.Millisecond
	inputQuiet     = 3 * time.Second
)

// persistent reports whether n fetch errors seen in one watcher tick, the
// latest at last, mean a failing input, given the previous error the
// watcher saw (zero: none).
func persistent(n int64, prev, last time.Time) bool {
	return n > 1 || (!prev.IsZero() && last.Sub(prev) <= inputQuiet)
}
