package mask

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomMask returns a w x h paletted image made of runs and repeated
// rows, as masks are, with values up to top.
func randomMask(rng *rand.Rand, w, h, top int, pal color.Palette) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		if y > 0 && rng.IntN(3) > 0 {
			copy(row, img.Pix[(y-1)*img.Stride:])
			continue
		}
		for x := 0; x < w; {
			n := 1 + rng.IntN(max(1, []int{2, 5, 300, w}[rng.IntN(4)]))
			v := byte(rng.IntN(top + 1))
			for i := x; i < min(w, x+n); i++ {
				row[i] = v
			}
			x += n
		}
	}
	return img
}

// TestPNGWriter checks that every PNG the mask writer makes decodes to the
// same image as image/png's encoding of it, and that its zlib stream is
// valid (checksum included).
func TestPNGWriter(t *testing.T) {
	t.Parallel()
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.RGBA{R: uint8(i), G: uint8(3 * i), B: uint8(7 * i), A: 255}
	}
	translucent := append(color.Palette{}, pal...)
	translucent[5] = color.NRGBA{R: 1, G: 2, B: 3, A: 128}
	rng := rand.New(rand.NewPCG(1, 2))
	var pw pngWriter
	sizes := [][2]int{{1, 1}, {1, 7}, {2, 3}, {3, 3}, {7, 5}, {100, 50}, {257, 9}, {259, 4}, {1000, 30}, {40000, 3}}
	for _, sz := range sizes {
		for _, top := range []int{0, 1, 143, 144, 255} {
			for _, p := range []color.Palette{pal, translucent} {
				img := randomMask(rng, sz[0], sz[1], top, p)
				var got, want bytes.Buffer
				require.NoError(t, pw.encode(&got, img.Pix, img.Stride, sz[0], sz[1], 0, sz[1], p))
				require.NoError(t, (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&want, img))
				gotImg, err := png.Decode(bytes.NewReader(got.Bytes()))
				require.NoError(t, err, "size %v top %d", sz, top)
				wantImg, err := png.Decode(bytes.NewReader(want.Bytes()))
				require.NoError(t, err)
				require.Equal(t, wantImg, gotImg, "size %v top %d", sz, top)
				requireValidIDAT(t, got.Bytes())
			}
		}
	}
}

// requireValidIDAT inflates the IDAT chunk of a PNG with compress/zlib,
// which checks the Adler-32 checksum at the end.
func requireValidIDAT(t *testing.T, data []byte) {
	t.Helper()
	i := bytes.Index(data, []byte("IDAT"))
	require.Positive(t, i)
	n := int(data[i-4])<<24 | int(data[i-3])<<16 | int(data[i-2])<<8 | int(data[i-1])
	zr, err := zlib.NewReader(bytes.NewReader(data[i+4 : i+4+n]))
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, zr)
	require.NoError(t, err, "the zlib stream (and its checksum) must be valid")
}

// TestPNGWriter_PaintedRows checks the hint that rows outside [y0, y1)
// are zero: the image is the same as without it.
func TestPNGWriter_PaintedRows(t *testing.T) {
	t.Parallel()
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.RGBA{R: uint8(i), A: 255}
	}
	img := image.NewPaletted(image.Rect(0, 0, 50, 40), pal)
	for y := 10; y < 20; y++ {
		for x := 5 + y; x < 30; x++ {
			img.Pix[y*img.Stride+x] = uint8(y)
		}
	}
	var pw pngWriter
	var hinted, plain bytes.Buffer
	require.NoError(t, pw.encode(&hinted, img.Pix, img.Stride, 50, 40, 10, 20, pal))
	require.NoError(t, pw.encode(&plain, img.Pix, img.Stride, 50, 40, 0, 40, pal))
	a, err := png.Decode(bytes.NewReader(hinted.Bytes()))
	require.NoError(t, err)
	b, err := png.Decode(bytes.NewReader(plain.Bytes()))
	require.NoError(t, err)
	require.Equal(t, b, a)
	require.Equal(t, img.Pix, a.(*image.Paletted).Pix)
}

// BenchmarkPNG encodes a 1920x1080 mask with a few objects, as image/png
// (what the format used before) and as the mask writer.
func BenchmarkPNG(b *testing.B) {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.RGBA{R: uint8(i), G: uint8(5 * i), A: 255}
	}
	img := image.NewPaletted(image.Rect(0, 0, 1920, 1080), pal)
	for k, r := range []image.Rectangle{image.Rect(100, 200, 700, 900), image.Rect(650, 100, 1200, 400), image.Rect(1500, 600, 1900, 1070)} {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X + (y-r.Min.Y)/3; x < r.Max.X; x++ {
				img.Pix[y*img.Stride+x] = uint8(k + 1)
			}
		}
	}
	b.Run("image-png", func(b *testing.B) {
		enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &bufferPool{}}
		for b.Loop() {
			_ = enc.Encode(io.Discard, img)
		}
	})
	b.Run("mask-writer", func(b *testing.B) {
		var pw pngWriter
		for b.Loop() {
			_ = pw.encode(io.Discard, img.Pix, img.Stride, 1920, 1080, 100, 1070, pal)
		}
	})
}
