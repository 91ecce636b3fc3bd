package routegrpc

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind: mirrors,
// retry timers, stream attempts and connections must all end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
