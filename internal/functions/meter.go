package functions

import "time"

// Meter is told about each function's invocations (Options.Meter; nil: nothing is counted).
// observe.Metrics provides one, under AWS/Lambda's metric names.
type Meter interface {
	Function(name string) FunctionMeter
}

// FunctionMeter counts one function's invocations. Its methods are called on the invocation's
// path, so they must be cheap and must not block.
type FunctionMeter interface {
	// Started: an invocation got a worker (cold: one started for it) and runs.
	Started(cold bool)
	// Finished: it ended after d in the function's code, failed when it ended in a function
	// error (raised, timed out, crashed).
	Finished(d time.Duration, failed bool)
	// Throttled: an invocation was refused past the concurrency limit.
	Throttled()
}
