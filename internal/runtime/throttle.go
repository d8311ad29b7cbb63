package runtime

// Throttle is a stage's compiled throttle of one method: the token bucket the method's requests
// share (Key names it in the data plane's limiter, stable across redeployments of the stage) and
// its limit, from the stage's methodSettings for the method or, failing that, `*/*`.
type Throttle struct {
	Key   string
	Rate  float64
	Burst int64
}
