// Package bytesize writes byte counts for people in the one style the hub,
// the web UI and the CLI share: binary units with IEC symbols, one decimal
// above a KiB ("512 B", "1.5 KiB", "12.0 MiB").
package bytesize

import "fmt"

// Format returns n in B, KiB, MiB, GiB, TiB, PiB or EiB. Negative counts are
// written in bytes.
func Format(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
