// Package zipstream writes zip archives in one forward pass with memory that
// does not grow with the number of entries.
//
// The standard library's archive/zip keeps one header per entry in memory
// until Close (about 200 bytes each), which is 200 MB for an export of a
// million label files. A [Writer] spools the central directory records to a
// temporary file instead and copies them to the output on [Writer.Close].
// Entries are deflated, sizes and CRC follow each entry in a data
// descriptor, and zip64 records are written when the archive needs them
// (more than 65535 entries or more than 4 GiB), so any reader that follows
// the central directory (archive/zip, Info-ZIP unzip, Python's zipfile)
// opens the result.
//
// The package depends on the standard library only: the plugin SDK (package
// plugin, whose Zip is built on it) and the built-in formats share it.
package zipstream

import (
	"bufio"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Signatures and sizes from the zip application note (APPNOTE.TXT).
const (
	sigLocalHeader     = 0x04034b50
	sigCentralHeader   = 0x02014b50
	sigDataDescriptor  = 0x08074b50
	sigEnd             = 0x06054b50
	sigZip64End        = 0x06064b50
	sigZip64EndLocator = 0x07064b50
	zip64ExtraID       = 0x0001
	versionDeflate     = 20
	versionZip64       = 45
	creatorUnix        = 3
	flagDataDescriptor = 0x8
	flagUTF8           = 0x800
	methodStore        = 0
	methodDeflate      = 8
	maxUint16          = math.MaxUint16
	maxUint32          = math.MaxUint32
	fileMode           = 0o100644 // regular file, rw-r--r--
	dirMode            = 0o040755 // directory, rwxr-xr-x
	msdosDir           = 0x10     // MS-DOS directory attribute
	centralHeaderLen   = 46
	localHeaderLen     = 30
	zip64EndLen        = 56
	zip64EndLocatorLen = 20
	endLen             = 22
	maxNameLen         = maxUint16
	dosEpochYear       = 1980
	bufSize            = 64 << 10
)

// ErrClosed is returned by Create and Close after the Writer was closed
// or aborted.
var ErrClosed = errors.New("zipstream: writer closed")

// Options tunes a Writer. The zero value means all defaults.
type Options struct {
	// Level is the deflate level, from flate.BestSpeed to
	// flate.BestCompression. Defaults to flate.DefaultCompression.
	Level int
	// Modified is the modification time stored for every entry. Defaults
	// to the time NewWriter was called.
	Modified time.Time
	// TempDir is where the central directory is spooled. Defaults to
	// os.TempDir().
	TempDir string
	// NewCompressor makes the deflate writer of the entries, at Level.
	// Defaults to compress/flate's NewWriter. One compressor is made per
	// Writer and Reset for each entry.
	NewCompressor func(w io.Writer, level int) (Compressor, error)
}

// Compressor is a deflate writer that can be reset onto another output:
// the *flate.Writer of compress/flate, or of another implementation of
// the deflate format with the same methods.
type Compressor interface {
	io.WriteCloser
	// Reset discards the writer's state and makes it write to w.
	Reset(w io.Writer)
}

// newFlate is the default Options.NewCompressor.
func newFlate(w io.Writer, level int) (Compressor, error) { return flate.NewWriter(w, level) }

// Writer writes a zip archive to an io.Writer. Only one entry is open at a
// time: Create finishes the previous entry. A Writer is not safe for
// concurrent use.
type Writer struct {
	out     *bufio.Writer
	w       *countWriter
	opts    Options
	dosTime uint16
	dosDate uint16

	spool    *os.File
	spoolBuf *bufio.Writer
	entries  uint64

	cur    *entry
	fw     Compressor
	closed bool
	err    error
}

// entry is the state of the open entry.
type entry struct {
	name    string
	offset  uint64
	method  uint16
	dir     bool // a directory entry: no content
	crc     hash.Hash32
	size    uint64 // uncompressed bytes written
	dataBeg uint64 // output offset where the compressed data starts
}

// NewWriter returns a Writer that writes the archive to w. The Writer
// creates its spool file lazily on the first entry; Close removes it.
func NewWriter(w io.Writer, opts Options) *Writer {
	if opts.Level == 0 {
		opts.Level = flate.DefaultCompression
	}
	if opts.Modified.IsZero() {
		opts.Modified = time.Now()
	}
	if opts.NewCompressor == nil {
		opts.NewCompressor = newFlate
	}
	out := bufio.NewWriterSize(w, bufSize)
	zw := &Writer{out: out, w: &countWriter{w: out}, opts: opts}
	zw.dosDate, zw.dosTime = dosDateTime(opts.Modified)
	return zw
}

// Create starts a deflated entry called name and returns the writer for
// its content, valid until the next Create or Close. The name must be a
// relative slash-separated path; the caller keeps names unique. A name
// ending in "/" is a directory entry: it is stored empty, and writing to it
// returns an error.
func (z *Writer) Create(name string) (io.Writer, error) {
	return z.create(name, methodDeflate)
}

// CreateStored starts an entry that is stored without compression (for
// content that is already compressed, such as PNG images).
func (z *Writer) CreateStored(name string) (io.Writer, error) {
	return z.create(name, methodStore)
}

func (z *Writer) create(name string, method uint16) (io.Writer, error) {
	if z.closed {
		return nil, ErrClosed
	}
	if z.err != nil {
		return nil, z.err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	dir := strings.HasSuffix(name, "/")
	if dir {
		method = methodStore
	}
	if err := z.finishEntry(); err != nil {
		return nil, z.fail(err)
	}
	if z.spool == nil {
		f, err := os.CreateTemp(z.opts.TempDir, "zipstream-cd-*")
		if err != nil {
			return nil, z.fail(fmt.Errorf("create central directory spool: %w", err))
		}
		z.spool = f
		z.spoolBuf = bufio.NewWriterSize(f, bufSize)
	}
	e := &entry{name: name, offset: z.w.n, method: method, dir: dir, crc: crc32.NewIEEE()}
	hdr := make([]byte, localHeaderLen, localHeaderLen+len(name))
	b := le(hdr)
	b.u32(sigLocalHeader)
	b.u16(versionDeflate)
	b.u16(flagDataDescriptor | flagUTF8)
	b.u16(method)
	b.u16(z.dosTime)
	b.u16(z.dosDate)
	b.u32(0) // crc32, in the data descriptor
	b.u32(0) // compressed size, in the data descriptor
	b.u32(0) // uncompressed size, in the data descriptor
	b.u16(uint16(len(name)))
	b.u16(0) // extra length
	hdr = append(hdr, name...)
	if _, err := z.w.Write(hdr); err != nil {
		return nil, z.fail(fmt.Errorf("write local header of %q: %w", name, err))
	}
	e.dataBeg = z.w.n
	z.cur = e
	if dir {
		return dirWriter{name: name}, nil
	}
	if method == methodStore {
		return &entryWriter{z: z, e: e, dst: z.w}, nil
	}
	if z.fw == nil {
		fw, err := z.opts.NewCompressor(z.w, z.opts.Level)
		if err != nil {
			return nil, z.fail(fmt.Errorf("create deflate writer: %w", err))
		}
		z.fw = fw
	} else {
		z.fw.Reset(z.w)
	}
	return &entryWriter{z: z, e: e, dst: z.fw}, nil
}

// finishEntry flushes the open entry, writes its data descriptor and
// spools its central directory record.
func (z *Writer) finishEntry() error {
	e := z.cur
	if e == nil {
		return nil
	}
	z.cur = nil
	if e.method == methodDeflate {
		if err := z.fw.Close(); err != nil {
			return fmt.Errorf("finish entry %q: %w", e.name, err)
		}
	}
	csize := z.w.n - e.dataBeg
	crc := e.crc.Sum32()
	zip64 := csize >= maxUint32 || e.size >= maxUint32
	desc := make([]byte, 16, 24)
	if zip64 {
		desc = desc[:24]
	}
	b := le(desc)
	b.u32(sigDataDescriptor)
	b.u32(crc)
	if zip64 {
		b.u64(csize)
		b.u64(e.size)
	} else {
		b.u32(uint32(csize))
		b.u32(uint32(e.size))
	}
	if _, err := z.w.Write(desc); err != nil {
		return fmt.Errorf("write data descriptor of %q: %w", e.name, err)
	}
	return z.spoolCentral(e, crc, csize)
}

// spoolCentral appends the entry's central directory record to the spool.
func (z *Writer) spoolCentral(e *entry, crc uint32, csize uint64) error {
	var extra []byte
	size32, csize32, off32 := uint32(e.size), uint32(csize), uint32(e.offset)
	if e.size >= maxUint32 || csize >= maxUint32 || e.offset >= maxUint32 {
		extra = make([]byte, 4, 28)
		var fields []uint64
		if e.size >= maxUint32 {
			size32 = maxUint32
			fields = append(fields, e.size)
		}
		if csize >= maxUint32 {
			csize32 = maxUint32
			fields = append(fields, csize)
		}
		if e.offset >= maxUint32 {
			off32 = maxUint32
			fields = append(fields, e.offset)
		}
		binary.LittleEndian.PutUint16(extra[0:], zip64ExtraID)
		binary.LittleEndian.PutUint16(extra[2:], uint16(8*len(fields)))
		for _, f := range fields {
			extra = binary.LittleEndian.AppendUint64(extra, f)
		}
	}
	needed := uint16(versionDeflate)
	if extra != nil {
		needed = versionZip64
	}
	hdr := make([]byte, centralHeaderLen)
	b := le(hdr)
	b.u32(sigCentralHeader)
	b.u16(creatorUnix<<8 | versionZip64)
	b.u16(needed)
	b.u16(flagDataDescriptor | flagUTF8)
	b.u16(e.method)
	b.u16(z.dosTime)
	b.u16(z.dosDate)
	b.u32(crc)
	b.u32(csize32)
	b.u32(size32)
	b.u16(uint16(len(e.name)))
	b.u16(uint16(len(extra)))
	b.u16(0) // comment length
	b.u16(0) // disk number start
	b.u16(0) // internal attributes
	if e.dir {
		b.u32(dirMode<<16 | msdosDir)
	} else {
		b.u32(fileMode << 16)
	}
	b.u32(off32)
	if _, err := z.spoolBuf.Write(hdr); err != nil {
		return fmt.Errorf("spool central directory: %w", err)
	}
	if _, err := z.spoolBuf.WriteString(e.name); err != nil {
		return fmt.Errorf("spool central directory: %w", err)
	}
	if _, err := z.spoolBuf.Write(extra); err != nil {
		return fmt.Errorf("spool central directory: %w", err)
	}
	z.entries++
	return nil
}

// Close finishes the open entry, writes the central directory and the end
// records, flushes the output and removes the spool file. It does not close
// the underlying writer. A second Close returns ErrClosed.
func (z *Writer) Close() error {
	if z.closed {
		return ErrClosed
	}
	z.closed = true
	defer z.removeSpool()
	if z.err != nil {
		return z.err
	}
	if err := z.finishEntry(); err != nil {
		return err
	}
	cdStart := z.w.n
	if z.spool != nil {
		if err := z.spoolBuf.Flush(); err != nil {
			return fmt.Errorf("flush central directory spool: %w", err)
		}
		if _, err := z.spool.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind central directory spool: %w", err)
		}
		if _, err := io.Copy(z.w, z.spool); err != nil {
			return fmt.Errorf("copy central directory: %w", err)
		}
	}
	cdEnd := z.w.n
	cdSize := cdEnd - cdStart
	records, size32, off32 := z.entries, uint32(cdSize), uint32(cdStart)
	if z.entries >= maxUint16 || cdSize >= maxUint32 || cdStart >= maxUint32 {
		buf := make([]byte, zip64EndLen+zip64EndLocatorLen)
		b := le(buf)
		b.u32(sigZip64End)
		b.u64(zip64EndLen - 12) // size of the record after this field
		b.u16(creatorUnix<<8 | versionZip64)
		b.u16(versionZip64)
		b.u32(0) // this disk
		b.u32(0) // disk with the central directory
		b.u64(z.entries)
		b.u64(z.entries)
		b.u64(cdSize)
		b.u64(cdStart)
		b.u32(sigZip64EndLocator)
		b.u32(0) // disk with the zip64 end record
		b.u64(cdEnd)
		b.u32(1) // total disks
		if _, err := z.w.Write(buf); err != nil {
			return fmt.Errorf("write zip64 end records: %w", err)
		}
		records, size32, off32 = maxUint16, maxUint32, maxUint32
	}
	buf := make([]byte, endLen)
	b := le(buf)
	b.u32(sigEnd)
	b.u16(0) // this disk
	b.u16(0) // disk with the central directory
	b.u16(uint16(min(records, maxUint16)))
	b.u16(uint16(min(records, maxUint16)))
	b.u32(size32)
	b.u32(off32)
	b.u16(0) // comment length
	if _, err := z.w.Write(buf); err != nil {
		return fmt.Errorf("write end of central directory: %w", err)
	}
	if err := z.out.Flush(); err != nil {
		return fmt.Errorf("flush archive: %w", err)
	}
	return nil
}

// Abort gives up on the archive: it removes the spool file and writes
// nothing more, leaving the output incomplete. Later calls of Create and
// Close return ErrClosed; Abort after Close or Abort does nothing.
func (z *Writer) Abort() {
	z.closed = true
	z.cur = nil
	z.removeSpool()
}

// Entries returns the number of entries created so far.
func (z *Writer) Entries() uint64 {
	if z.cur != nil {
		return z.entries + 1
	}
	return z.entries
}

func (z *Writer) removeSpool() {
	if z.spool == nil {
		return
	}
	name := z.spool.Name()
	_ = z.spool.Close()
	// The spool is a private temporary file; failing to remove it loses
	// nothing but disk space, which the OS temp cleaner reclaims.
	_ = os.Remove(name)
	z.spool = nil
}

// fail records err so that every later call returns it.
func (z *Writer) fail(err error) error {
	z.err = err
	return err
}

// entryWriter is the io.Writer of one entry.
type entryWriter struct {
	z   *Writer
	e   *entry
	dst io.Writer
}

// Write adds p to the entry's content.
func (w *entryWriter) Write(p []byte) (int, error) {
	if w.z.cur != w.e {
		return 0, fmt.Errorf("zipstream: write to entry %q after it was finished", w.e.name)
	}
	if w.z.err != nil {
		return 0, w.z.err
	}
	n, err := w.dst.Write(p)
	w.e.crc.Write(p[:n])
	w.e.size += uint64(n)
	if err != nil {
		return n, w.z.fail(fmt.Errorf("write entry %q: %w", w.e.name, err))
	}
	return n, nil
}

// dirWriter is the writer of a directory entry, which has no content.
type dirWriter struct{ name string }

// Write fails unless p is empty.
func (d dirWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		return 0, fmt.Errorf("zipstream: write to directory entry %q", d.name)
	}
	return 0, nil
}

// checkName rejects names a zip cannot hold or an extractor would misplace.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("zipstream: empty entry name")
	case len(name) > maxNameLen:
		return fmt.Errorf("zipstream: entry name longer than %d bytes", maxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("zipstream: entry name %q is not UTF-8", name)
	case name[0] == '/':
		return fmt.Errorf("zipstream: entry name %q is absolute", name)
	}
	return nil
}

// dosDateTime converts t to the MS-DOS date and time fields of zip headers.
func dosDateTime(t time.Time) (date, tm uint16) {
	if t.Year() < dosEpochYear {
		t = time.Date(dosEpochYear, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-dosEpochYear)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

// le writes little-endian integers into a byte slice, advancing it.
type le []byte

func (b *le) u16(v uint16) { binary.LittleEndian.PutUint16(*b, v); *b = (*b)[2:] }
func (b *le) u32(v uint32) { binary.LittleEndian.PutUint32(*b, v); *b = (*b)[4:] }
func (b *le) u64(v uint64) { binary.LittleEndian.PutUint64(*b, v); *b = (*b)[8:] }
