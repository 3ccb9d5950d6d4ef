package mask

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/color"
	"io"
)

// A mask is mostly long runs of one value, and many rows repeat the row
// above. pngWriter encodes 8-bit paletted masks for that: it compresses
// each row into deflate matches, at distance 1 along a run and at the
// row's length for a row equal to the one above, with the fixed Huffman
// codes, and computes the zlib checksum per run. Its cost follows the
// number of runs, not of pixels; image/png deflates every byte (and sums
// it), which made it most of the time of the mask format. The PNG files
// are different bytes for the same image: a PNG decoder reads exactly the
// pixels and palette image/png would have written.

// pngWriter writes 8-bit paletted PNGs; it reuses its buffers between
// images and is not safe for concurrent use.
type pngWriter struct {
	bw   bitWriter
	runs []run8 // runs of the previous row, for its checksum when repeated
	next []run8
	out  []byte
}

// run8 is a run of n equal bytes of value v.
type run8 struct {
	v byte
	n int
}

// encode writes the w x h image pix (one palette index per byte, rows of
// stride bytes) with palette pal as a PNG to out. Rows outside [y0, y1)
// are known to be zero (background), which spares comparing them.
func (p *pngWriter) encode(out io.Writer, pix []byte, stride, w, h, y0, y1 int, pal color.Palette) error {
	p.out = p.out[:0]
	p.out = append(p.out, "\x89PNG\r\n\x1a\n"...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 3 // bit depth 8, colour type 3 (paletted)
	p.chunk("IHDR", ihdr[:])
	// As image/png: the colours, then the alphas up to the last entry that
	// is not opaque, if any.
	plte := make([]byte, 0, 3*len(pal))
	alpha := make([]byte, 0, len(pal))
	last := -1
	for i, c := range pal {
		rgba := color.NRGBAModel.Convert(c).(color.NRGBA)
		plte = append(plte, rgba.R, rgba.G, rgba.B)
		alpha = append(alpha, rgba.A)
		if rgba.A != 0xff {
			last = i
		}
	}
	p.chunk("PLTE", plte)
	if last >= 0 {
		p.chunk("tRNS", alpha[:last+1])
	}
	p.chunk("IDAT", p.zlib(pix, stride, w, h, y0, y1))
	p.chunk("IEND", nil)
	_, err := out.Write(p.out)
	return err
}

// chunk appends a PNG chunk.
func (p *pngWriter) chunk(name string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	p.out = append(p.out, n[:]...)
	start := len(p.out)
	p.out = append(p.out, name...)
	p.out = append(p.out, data...)
	binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(p.out[start:]))
	p.out = append(p.out, n[:]...)
}

// zlib returns the zlib stream of the image's rows, each preceded by
// filter type 0 (none), as image/png writes paletted images. The result
// is valid until the next call.
func (p *pngWriter) zlib(pix []byte, stride, w, h, y0, y1 int) []byte {
	bw := &p.bw
	bw.reset()
	bw.buf = append(bw.buf, 0x78, 0x01) // deflate, 32 KiB window, no dictionary
	bw.bits(1, 1)                       // the one and final block
	bw.bits(1, 2)                       // fixed Huffman codes
	var sum adler
	sum.init()
	rowLen := w + 1 // the filter byte and the pixels
	copyRows := rowLen >= minMatch && rowLen <= maxDistance
	p.runs = p.runs[:0]
	for y := range h {
		row := pix[y*stride : y*stride+w]
		clean := (y < y0 || y >= y1) && (y-1 < y0 || y-1 >= y1) // both rows zero
		if y > 0 && copyRows && (clean || bytes.Equal(row, pix[(y-1)*stride:(y-1)*stride+w])) {
			// The filter byte and the pixels again: one match at the
			// distance of a row.
			bw.matches(rowLen, rowLen)
			for _, r := range p.runs {
				sum.run(r.v, r.n)
			}
			continue
		}
		// The filter byte, then each run: a literal and a match at
		// distance 1 for the rest.
		bw.literal(0)
		sum.run(0, 1)
		p.next = append(p.next[:0], run8{0, 1})
		for x := 0; x < w; {
			v := row[x]
			n := runLen(row, x)
			p.next = append(p.next, run8{v, n})
			sum.run(v, n)
			bw.literal(v)
			if n-1 >= minMatch {
				bw.matches(n-1, 1)
			} else {
				for range n - 1 {
					bw.literal(v)
				}
			}
			x += n
		}
		p.runs, p.next = p.next, p.runs
	}
	bw.code(0, 7) // end of block: code 256 is seven zero bits
	bw.flush()
	s := sum.value()
	return binary.BigEndian.AppendUint32(bw.buf, s)
}

// runLen returns the length of the run of equal bytes starting at row[x],
// comparing eight bytes at a time.
func runLen(row []byte, x int) int {
	v := row[x]
	pat := uint64(v) * 0x0101010101010101
	i := x + 1
	for i+8 <= len(row) {
		if d := binary.LittleEndian.Uint64(row[i:]) ^ pat; d != 0 {
			return i - x + trailingZeroBytes(d)
		}
		i += 8
	}
	for i < len(row) && row[i] == v {
		i++
	}
	return i - x
}

// trailingZeroBytes returns the number of zero low-order bytes of d != 0.
func trailingZeroBytes(d uint64) int {
	n := 0
	for d&0xff == 0 {
		d >>= 8
		n++
	}
	return n
}

// Deflate limits (RFC 1951).
const (
	minMatch    = 3
	maxMatch    = 258
	maxDistance = 32768
)

// bitWriter writes a deflate bit stream: fields least significant bit
// first, Huffman codes most significant bit first.
type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint

	dist     int // the distance whose code distCode holds
	distCode codeBits
}

// codeBits is a Huffman code, reversed, followed by its extra bits: n bits
// to write as they are.
type codeBits struct {
	v uint32
	n uint
}

// lengthCodes holds the fixed code and extra bits of every match length.
var lengthCodes = func() (t [maxMatch + 1]codeBits) {
	for n := minMatch; n <= maxMatch; n++ {
		lc, extra, bits := lengthCode(n)
		var c codeBits
		if lc < 280 {
			c = codeBits{reverse(uint32(lc-256), 7), 7}
		} else {
			c = codeBits{reverse(0xc0+uint32(lc-280), 8), 8}
		}
		c.v |= uint32(extra) << c.n
		c.n += bits
		t[n] = c
	}
	return t
}()

// distanceBits returns the fixed code and extra bits of a distance.
func distanceBits(d int) codeBits {
	dc, extra, bits := distanceCode(d)
	return codeBits{reverse(uint32(dc), 5) | uint32(extra)<<5, 5 + bits}
}

func (b *bitWriter) reset() { b.buf, b.acc, b.nacc, b.dist = b.buf[:0], 0, 0, 0 }

// bits writes the n low bits of v, least significant first.
func (b *bitWriter) bits(v uint64, n uint) {
	b.acc |= v << b.nacc
	b.nacc += n
	if b.nacc >= 32 {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(b.acc))
		b.acc >>= 32
		b.nacc -= 32
	}
}

// code writes the n-bit Huffman code c, most significant bit first.
func (b *bitWriter) code(c uint32, n uint) { b.bits(uint64(reverse(c, n)), n) }

// flush writes the bits still held, the last byte padded with zeros.
func (b *bitWriter) flush() {
	for b.nacc > 0 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.nacc -= min(8, b.nacc)
	}
}

// literal writes byte v with the fixed literal/length code.
func (b *bitWriter) literal(v byte) {
	if v < 144 {
		b.code(0x30+uint32(v), 8)
	} else {
		b.code(0x190+uint32(v-144), 9)
	}
}

// match writes a match of length (3 to 258) at distance (1 to 32768) with
// the fixed codes.
func (b *bitWriter) match(length, distance int) {
	if distance != b.dist {
		b.dist, b.distCode = distance, distanceBits(distance)
	}
	l, d := lengthCodes[length], b.distCode
	b.bits(uint64(l.v)|uint64(d.v)<<l.n, l.n+d.n) // at most 13 + 18 bits
}

// matches writes n (at least minMatch) bytes as matches at distance.
func (b *bitWriter) matches(n, distance int) {
	for n > 0 {
		m := min(n, maxMatch)
		if n-m > 0 && n-m < minMatch {
			m = n - minMatch // leave a whole match for the end
		}
		b.match(m, distance)
		n -= m
	}
}

// lengthCode returns the symbol (257 to 285), extra value and extra bits
// of a match length.
func lengthCode(n int) (code, extra int, bits uint) {
	if n == maxMatch {
		return 285, 0, 0
	}
	if n < 11 {
		return 254 + n, 0, 0
	}
	// n-3 has e+3 significant bits: codes 265-268 have 1 extra bit
	// (lengths 11 to 18), 269-272 have 2, ...
	m := n - 3
	e := uint(0)
	for m>>e >= 8 {
		e++
	}
	return 261 + 4*int(e-1) + (m >> e), m & (1<<e - 1), e
}

// distanceCode returns the symbol (0 to 29), extra value and extra bits
// of a match distance.
func distanceCode(d int) (code, extra int, bits uint) {
	if d <= 4 {
		return d - 1, 0, 0
	}
	m := d - 1
	e := uint(0)
	for m>>e >= 4 {
		e++
	}
	// m has e+2 significant bits: code 2e+2 or 2e+3, e extra bits.
	return 2*int(e) + (m >> e), m & (1<<e - 1), e
}

// reverse returns the n low bits of c in reverse order.
func reverse(c uint32, n uint) uint32 {
	var r uint32
	for range n {
		r = r<<1 | c&1
		c >>= 1
	}
	return r
}

// adler is the Adler-32 checksum of a zlib stream, fed by runs of equal
// bytes: a run of n bytes of value v adds n*v to a and n*a + v*n(n+1)/2
// to b, modulo 65521.
type adler struct{ a, b uint64 }

const adlerMod = 65521

func (s *adler) init() { s.a, s.b = 1, 0 }

func (s *adler) run(v byte, n int) {
	for n > 0 {
		// Bound each step so the products fit in 64 bits.
		k := uint64(min(n, 1<<20))
		s.b = (s.b + k*s.a + uint64(v)*(k*(k+1)/2)) % adlerMod
		s.a = (s.a + k*uint64(v)) % adlerMod
		n -= int(k)
	}
}

func (s *adler) value() uint32 { return uint32(s.b<<16 | s.a) }
