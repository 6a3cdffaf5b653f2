// Package units prints byte counts the way people read them, in one style
// for the whole program.
package units

import "fmt"

// Bytes writes n in decimal units, as file managers and download pages do: "1.3 GB".
func Bytes(n int64) string { return format(n, 1000, "kMGTPE", "B") }

// IBytes writes n in binary units, as memory is counted: "1.2 GiB".
func IBytes(n int64) string { return format(n, 1024, "KMGTPE", "iB") }

func format(n, unit int64, prefixes, suffix string) string {
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for (v >= float64(unit) || v <= -float64(unit)) && i < len(prefixes)-1 {
		v /= float64(unit)
		i++
	}
	return fmt.Sprintf("%.1f %c%s", v, prefixes[i], suffix)
}
