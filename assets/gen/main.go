// Command gen draws Burrow's icon (a rabbit peeking out of its burrow at
// dusk) with the standard image package, so the picture is reproducible
// from source: go run ./assets/gen > assets/icon.png
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 512

// rgb is a colour with float channels, so layers blend without banding.
type rgb struct{ r, g, b float64 }

func hex(v uint32) rgb {
	return rgb{float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255}
}

func mix(a, b rgb, t float64) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

// inEllipse reports whether (x, y) lies in the ellipse centred at (cx, cy)
// with radii rx, ry, turned by angle radians.
func inEllipse(x, y, cx, cy, rx, ry, angle float64) bool {
	dx, dy := x-cx, y-cy
	s, c := math.Sincos(-angle)
	u, v := dx*c-dy*s, dx*s+dy*c
	return (u*u)/(rx*rx)+(v*v)/(ry*ry) <= 1
}

// inRoundRect is the icon's outline: a square with rounded corners.
func inRoundRect(x, y, margin, radius float64) bool {
	lo, hi := margin+radius, size-margin-radius
	cx, cy := math.Max(lo, math.Min(hi, x)), math.Max(lo, math.Min(hi, y))
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= radius*radius && x >= margin && x <= size-margin && y >= margin && y <= size-margin
}

// scene returns the colour at a point and whether the point is inside the icon.
func scene(x, y float64) (rgb, bool) {
	if !inRoundRect(x, y, 16, 112) {
		return rgb{}, false
	}
	// Dusk sky.
	c := mix(hex(0x2B2D5E), hex(0xE48A5A), math.Pow(y/size, 1.6))
	// Moon and two stars.
	if inEllipse(x, y, 388, 132, 38, 38, 0) {
		c = hex(0xF8EBB0)
		if inEllipse(x, y, 404, 120, 34, 34, 0) {
			c = mix(hex(0x2B2D5E), hex(0xE48A5A), math.Pow(y/size, 1.6))
		}
	}
	for _, s := range [][3]float64{{130, 110, 5}, {200, 70, 3.5}, {300, 170, 3}} {
		if inEllipse(x, y, s[0], s[1], s[2], s[2], 0) {
			c = hex(0xFFF4D6)
		}
	}
	// Far hill, then the near hill the burrow is dug into.
	if inEllipse(x, y, 120, 640, 360, 330, 0) {
		c = mix(hex(0x3E6B4A), hex(0x2F5239), (y-310)/200)
	}
	if inEllipse(x, y, 300, 760, 470, 420, 0) {
		c = mix(hex(0x6DBB62), hex(0x3F8A44), math.Max(0, (y-340)/170))
	}
	// The hole: a dark ellipse, darker towards its back.
	const hx, hy, hrx, hry = 262, 392, 128, 58
	inHole := inEllipse(x, y, hx, hy, hrx, hry, 0)
	if inHole {
		c = mix(hex(0x140C08), hex(0x3A2416), math.Max(0, (y-(hy-hry))/(2*hry)))
	}
	// Ears rising from the hole: visible above the hole's middle and
	// wherever they overlap the sky/hill, hidden by the front lip.
	ears := []struct{ cx, cy, ang float64 }{{222, 268, -0.2}, {300, 262, 0.18}}
	if y < hy+6 {
		for _, e := range ears {
			if inEllipse(x, y, e.cx, e.cy, 30, 112, e.ang) {
				c = hex(0xF4EFE6)
				if inEllipse(x, y, e.cx, e.cy+8, 15, 84, e.ang) {
					c = hex(0xF2A7A0)
				}
			}
		}
		// The top of the head between the ears.
		if inEllipse(x, y, 261, hy+8, 78, 44, 0) && y < hy+6 {
			c = hex(0xEDE6DA)
			for _, ex := range []float64{232, 290} {
				if inEllipse(x, y, ex, hy-12, 9, 11, 0) {
					c = hex(0x1D1410)
					if inEllipse(x, y, ex+3, hy-16, 3, 3, 0) {
						c = hex(0xFFFFFF)
					}
				}
			}
		}
	}
	// Front lip of the burrow: a rim of earth along the lower edge.
	if inEllipse(x, y, hx, hy+4, hrx+16, hry+14, 0) && !inEllipse(x, y, hx, hy-6, hrx, hry, 0) && y > hy-4 {
		c = mix(hex(0x8A5A36), hex(0x6B4227), (y-hy)/(hry+18))
	}
	return c, true
}

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4 // supersampling per axis, for smooth edges
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var sum rgb
			var n float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					c, ok := scene(float64(px)+(float64(sx)+0.5)/ss, float64(py)+(float64(sy)+0.5)/ss)
					if ok {
						sum.r, sum.g, sum.b = sum.r+c.r, sum.g+c.g, sum.b+c.b
						n++
					}
				}
			}
			if n == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(sum.r / n * 255)),
				G: uint8(math.Round(sum.g / n * 255)),
				B: uint8(math.Round(sum.b / n * 255)),
				A: uint8(math.Round(n / (ss * ss) * 255)),
			})
		}
	}
	if err := png.Encode(os.Stdout, img); err != nil {
		log.Fatal(err)
	}
}
