package mask

import (
	"image"
	"image/color"
	"math"
)

// canvas is a mask being painted: 8-bit values while they fit, switched to
// 16-bit (big-endian, as image.Gray16 stores them) when a value above 255
// arrives. Only the rows painted since the last reset are cleared again, so
// an image with small objects costs little beyond its PNG encoding.
type canvas struct {
	w, h   int
	wide   bool
	pix8   []uint8
	pix16  []uint8
	top    uint16
	y0, y1 int // rows painted: [y0, y1)
}

// reset prepares an empty w x h canvas, reusing the buffers.
func (c *canvas) reset(w, h int) {
	// Clear the painted rows of the previous image in its own layout; the
	// rest of the buffers is still zero.
	if c.y1 > c.y0 {
		clear(c.pix8[c.y0*c.w : c.y1*c.w])
		if c.wide {
			clear(c.pix16[2*c.y0*c.w : 2*c.y1*c.w])
		}
	}
	n := w * h
	if len(c.pix8) < n {
		c.pix8 = make([]uint8, n)
	}
	c.w, c.h, c.wide, c.top, c.y0, c.y1 = w, h, false, 0, h, 0
}

// span paints value v on row y, columns [x0, x1).
func (c *canvas) span(y, x0, x1 int, v uint16) {
	c.y0, c.y1 = min(c.y0, y), max(c.y1, y+1)
	if v > math.MaxUint8 && !c.wide {
		c.widen()
	}
	c.top = max(c.top, v)
	row := y * c.w
	if !c.wide {
		b := uint8(v)
		p := c.pix8[row+x0 : row+x1]
		for i := range p {
			p[i] = b
		}
		return
	}
	hi, lo := uint8(v>>8), uint8(v)
	p := c.pix16[2*(row+x0) : 2*(row+x1)]
	for i := 0; i < len(p); i += 2 {
		p[i], p[i+1] = hi, lo
	}
}

// widen switches the canvas to 16-bit values, copying what was painted.
func (c *canvas) widen() {
	n := c.w * c.h
	if len(c.pix16) < 2*n {
		c.pix16 = make([]uint8, 2*n)
	}
	if c.y1 > c.y0 {
		for i := c.y0 * c.w; i < c.y1*c.w; i++ {
			c.pix16[2*i], c.pix16[2*i+1] = 0, c.pix8[i]
		}
	}
	c.wide = true
}

// painted returns the rows painted since the last reset, [y0, y1); the
// others are zero.
func (c *canvas) painted() (y0, y1 int) { return c.y0, c.y1 }

// image returns the canvas as an 8-bit paletted image (palette up to the
// largest value) or, once widened, as a 16-bit grayscale image. The image
// shares the canvas's buffers.
func (c *canvas) image(palette func(top int) color.Palette) image.Image {
	r := image.Rect(0, 0, c.w, c.h)
	if c.wide {
		return &image.Gray16{Pix: c.pix16[:2*c.w*c.h], Stride: 2 * c.w, Rect: r}
	}
	return &image.Paletted{Pix: c.pix8[:c.w*c.h], Stride: c.w, Rect: r, Palette: palette(int(c.top))}
}
