// Package deflate provides the deflate compressor of the zips that the
// SDK and the built-in formats write: the flate package of
// github.com/klauspost/compress, which writes the same format as
// compress/flate (any zip reader, Python's zipfile included, reads it)
// two to three times faster at the same level, for output a few percent
// larger or smaller.
package deflate

import (
	"io"

	"github.com/klauspost/compress/flate"

	"github.com/exporthub/exporthub/internal/zipstream"
)

// NewCompressor returns a deflate writer at level (as compress/flate
// numbers them) writing to w. It fits zipstream.Options.NewCompressor.
func NewCompressor(w io.Writer, level int) (zipstream.Compressor, error) {
	return flate.NewWriter(w, level)
}
