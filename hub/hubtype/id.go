package hubtype

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a new random id: 24 lowercase hex characters, the shape of
// the ids Ango Hub uses, so ids look familiar to plugin authors.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// DefaultStageID is the stage the hub gives an asset imported without one
// (the legacy tasks/objects shape has none): Ango's finished tasks are in
// the fixed stage Complete, which a default export (the SDK's
// stage=["Complete"]) selects.
const DefaultStageID = "Complete"
