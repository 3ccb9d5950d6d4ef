package aaf

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// A WithWorkers reader splits the work this way: Next frames the input
// (the framer is cheap next to decoding) into batches of consecutive
// assets, hands each batch to a worker goroutine through a channel, and
// returns the assets of the oldest batch once its worker is done. Only
// the goroutine that calls Next touches the framer, the queue and the
// underlying reader; a worker touches only the batch it was given, until
// it signals the batch done.

// Sizes of the batches of a WithWorkers reader.
const (
	batchAssets       = 32        // assets per batch, at most
	batchBytes        = 128 << 10 // bytes of JSON per batch, about: a larger asset makes a batch of its own
	maxKeptBatchBytes = 1 << 20   // a batch buffer grown beyond this is dropped after use
)

// batch is a run of consecutive elements of the input, decoded by one
// worker.
type batch struct {
	data  []byte // the assets' bytes, back to back
	items []item
	done  chan struct{} // receives once the worker is done with the batch
}

// item is one element of a batch: an asset to decode, or the error the
// framer found in its place.
type item struct {
	start, end int // the asset's bytes: data[start:end]
	line       int
	off        int64
	index      int

	asset    *Asset
	err      error
	warnings []*Error
	panicked *decodePanic // the decoder panicked on this asset
}

// decodePanic is a panic of a worker's decoder, raised again by Next on
// the caller's goroutine.
type decodePanic struct {
	value any
	stack []byte
}

// parallel is the state of a WithWorkers reader that only Next touches.
type parallel struct {
	workers *workers
	cleanup runtime.Cleanup
	window  int      // batches in flight, at most
	queue   []*batch // batches in flight, in input order
	free    []*batch
	cur     *batch // the batch Next is returning the items of
	pos     int    // next item of cur
	framed  bool   // the framer reached the end of the input, or an error that ends it
}

// workers is what the worker goroutines share. It never refers to the
// Reader, so that an abandoned Reader can be garbage collected and its
// cleanup stop them.
type workers struct {
	work    chan *batch
	stopped atomic.Bool
	once    sync.Once
	wg      sync.WaitGroup
}

// stop makes the workers skip the batches still queued and return. It is
// safe to call more than once and from any goroutine.
func (w *workers) stop() {
	w.once.Do(func() {
		w.stopped.Store(true)
		close(w.work)
	})
}

// run is a worker goroutine: it decodes the batches it receives with its
// own decoder. cfg is a copy of the reader's options.
func (w *workers) run(cfg readerConfig) {
	defer w.wg.Done()
	var dec assetDecoder
	dec.init(&cfg)
	var pending []*Error
	collect := func(e *Error) { pending = append(pending, e) }
	for b := range w.work {
		if !w.stopped.Load() && !decodeBatch(&dec, b, &pending, collect) {
			dec = assetDecoder{} // its state is unknown after a panic
			dec.init(&cfg)
			pending = pending[:0]
		}
		b.done <- struct{}{}
	}
}

// decodeBatch decodes the assets of b with dec; warn (which appends to
// *pending) receives their warnings. A panic of the decoder is recorded on
// the asset that caused it, for Next to raise on the caller's goroutine,
// and makes decodeBatch return false: the items after it are left
// undecoded, and Next never gets past that asset.
func decodeBatch(dec *assetDecoder, b *batch, pending *[]*Error, warn func(*Error)) (ok bool) {
	i := 0
	defer func() {
		if v := recover(); v != nil {
			b.items[i].panicked = &decodePanic{value: v, stack: debug.Stack()}
			ok = false
		}
	}()
	for ; i < len(b.items); i++ {
		it := &b.items[i]
		if it.err != nil {
			continue // the framer's error
		}
		it.asset, it.err = dec.decode(frame{b: b.data[it.start:it.end], line: it.line, off: it.off, index: it.index}, warn)
		if len(*pending) > 0 {
			it.warnings = append([]*Error(nil), *pending...)
			clear(*pending)
			*pending = (*pending)[:0]
		}
	}
	return true
}

// startParallel starts the workers of a WithWorkers reader.
func (r *Reader) startParallel() *parallel {
	n := r.cfg.workers
	window := 2*n + 2
	w := &workers{work: make(chan *batch, window)} // never full: at most window batches exist
	w.wg.Add(n)
	for range n {
		go w.run(r.cfg)
	}
	p := &parallel{workers: w, window: window}
	p.cleanup = runtime.AddCleanup(r, func(w *workers) { w.stop() }, w)
	r.par = p
	return p
}

// stopParallel stops the workers, if they run, and waits for them.
func (r *Reader) stopParallel() {
	p := r.par
	if p == nil {
		return
	}
	r.par = nil
	p.cleanup.Stop()
	p.workers.stop()
	p.workers.wg.Wait()
}

// nextParallel returns the next element of a WithWorkers reader: an
// asset, or the error for it. The first call starts the workers.
func (r *Reader) nextParallel() (*Asset, error) {
	p := r.par
	if p == nil {
		p = r.startParallel()
	}
	for p.cur == nil || p.pos == len(p.cur.items) {
		if p.cur != nil {
			p.recycle(p.cur)
			p.cur = nil
		}
		r.frameBatches()
		b := p.queue[0] // the framer ends every input with an error or io.EOF, after which Next stops
		copy(p.queue, p.queue[1:])
		p.queue[len(p.queue)-1] = nil
		p.queue = p.queue[:len(p.queue)-1]
		<-b.done
		p.cur, p.pos = b, 0
	}
	it := &p.cur.items[p.pos]
	p.pos++
	if pv := it.panicked; pv != nil {
		r.err = fmt.Errorf("aaf: decode asset %d: panic: %v", it.index+1, pv.value)
		r.stopParallel()
		panic(fmt.Sprintf("aaf: decoding asset %d panicked: %v\n\nworker goroutine:\n%s", it.index+1, pv.value, pv.stack))
	}
	for _, w := range it.warnings {
		r.cfg.warn(w)
	}
	if it.err != nil {
		return nil, it.err
	}
	r.curLine, r.curOff = it.line, it.off
	return it.asset, nil
}

// frameBatches fills the window: it frames batches and hands them to the
// workers until window batches are in flight or the framer is done.
func (r *Reader) frameBatches() {
	p := r.par
	for !p.framed && len(p.queue) < p.window {
		var b *batch
		if n := len(p.free); n > 0 {
			b = p.free[n-1]
			p.free = p.free[:n-1]
		} else {
			b = &batch{data: make([]byte, 0, batchBytes), items: make([]item, 0, batchAssets), done: make(chan struct{}, 1)}
		}
		r.frameBatch(b)
		p.queue = append(p.queue, b)
		p.workers.work <- b
	}
}

// frameBatch fills b with the next elements of the input: assets to
// decode and framing errors, up to an error that ends the input.
func (r *Reader) frameBatch(b *batch) {
	for len(b.items) < batchAssets && len(b.data) < batchBytes {
		fr, err := r.f.next()
		if err != nil {
			b.items = append(b.items, item{err: err})
			if !goesOn(err, r.cfg.goOn, r.f.format) {
				r.par.framed = true
				return
			}
			continue
		}
		start := len(b.data)
		b.data = append(b.data, fr.b...)
		b.items = append(b.items, item{start: start, end: len(b.data), line: fr.line, off: fr.off, index: fr.index})
	}
}

// recycle keeps b, whose items were all returned, for a later batch.
func (p *parallel) recycle(b *batch) {
	clear(b.items) // drop the references to the returned assets
	b.items = b.items[:0]
	b.data = b.data[:0]
	if cap(b.data) > maxKeptBatchBytes {
		b.data = make([]byte, 0, batchBytes)
	}
	p.free = append(p.free, b)
}
