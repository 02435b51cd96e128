package logging

import "time"

// StoreWarnEvery is how often a fault of the shared store that the server
// works around (a rate limit failing open, a session kept in memory) is
// logged: once per interval, not once per call, so that a store that is down
// does not flood the log of a busy server.
const StoreWarnEvery = 10 * time.Second
