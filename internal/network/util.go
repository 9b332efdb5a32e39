package network

import (
	"time"

	"github.com/google/uuid"
)

func newUUID() string { return uuid.NewString() }

// nowUTC is the time stamped on rows (stored to the microsecond).
func nowUTC() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
