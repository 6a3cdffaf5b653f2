package gguf

import (
	"fmt"
	"strconv"
)

// SizeLabel formats a parameter count as llama.cpp's converter does for
// general.size_label: two significant digits at least, with a K, M, B or T
// suffix ("260K", "1.2B", "8.0B", "70B").
func SizeLabel(params int64) string {
	n := float64(params)
	scaled, suffix := n*1e-3, "K"
	switch {
	case n > 1e12:
		scaled, suffix = n*1e-12, "T"
	case n > 1e9:
		scaled, suffix = n*1e-9, "B"
	case n > 1e6:
		scaled, suffix = n*1e-6, "M"
	}
	digits := len(strconv.FormatInt(int64(scaled+0.5), 10))
	if int64(scaled+0.5) == 0 {
		digits = 0
	}
	fix := max(2-digits, 0)
	return fmt.Sprintf("%.*f%s", fix, scaled, suffix)
}
