package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// The response cache's second tier. The memory budget holds a few
// thousand pages (about 9 KB each, packed), fewer than real traffic
// comes back to: at 1M cards the Zipf mix of make bench asks for 4,769
// pages, and every one pushed out of memory cost a new render (about
// 2 ms of CPU) when it came back. A response pushed out of memory is
// written instead to a spill file, in the encodings it was kept in, and a
// later request for it is answered from there: a pread of a few
// kilobytes, which the kernel serves from its page cache (memory the
// server's heap does not hold and the kernel takes back under pressure),
// instead of the store and a render.
//
// The file is a ring of records up to the spill budget, written in
// order: when the next record does not fit before the end, writing starts
// again at the start, and the records it overwrites are forgotten
// (first in, first out: the memory tier in front of it already keeps the
// popular pages). The file is unlinked as soon as it is made, so nothing
// is left behind when the server stops, however it stops. Only the
// main segments spill: a non-canonical URL (a cache-busting parameter)
// never reaches the file.
//
// A record is checked when it is read (its CRC the first time, its key
// every time), and it is served only if it was still in the index, as
// the same write, after the read: an overwrite forgets a record before
// it writes over it.

// spillFile is the spill tier. Its zero budget means off. The server
// makes its file when it starts (start); a spillFile made otherwise (in
// tests) makes it at its first record.
type spillFile struct {
	dir    string
	budget int64

	wmu sync.Mutex // one writer at a time; held before mu
	// wbuf is the writer's record buffer, reused (wmu guards it): a
	// record was a new allocation of its whole size, 54 KB for a page's
	// plain body, and a round of the uniform mix that writes 11,000 of
	// them had the collector running many times a second.
	wbuf []byte

	mu     sync.Mutex
	f      *os.File // made by start, or at the first record
	broken bool     // making or writing the file failed: no more records are written
	// failed is told, once, why the file broke (the server logs it).
	failed func(error)
	off    int64  // where the next record goes
	seq    uint64 // records written so far: each record's number
	index  map[string]spillSlot
	queue  []spilled // the records in the index, oldest first (from head)
	head   int
	// pins counts, by write, the requests sending a record's plain body
	// from the file (sendPlain): no record is written over one of them.
	pins map[uint64]spillPin
	// senders are open file descriptions of f, idle, for sendPlain:
	// sendfile sends from a description's own position, so two requests
	// never share one. nil when the file cannot be opened again (no
	// /proc): plain bodies are then read and written, as other records.
	senders chan *os.File
	fdPath  string       // the name that opens f again
	sent    atomic.Int64 // plain bodies sent with sendfile (for tests)
	// extraSenders counts the descriptions open beyond the kept ones.
	extraSenders atomic.Int64
}

// spillPin is a record being sent, and by how many requests.
type spillPin struct {
	loc spillLoc
	n   int
}

// maxKeptRecordBuffer is the largest record buffer the writer keeps.
const maxKeptRecordBuffer = 1 << 20

// spillSenders is how many idle descriptions of the file are kept for
// sendfile, opened with the file: more are opened when more requests
// send at once, and closed after (a server's descriptors are the same
// after a load as before it).
const spillSenders = 8

// maxSpillSenders bounds the descriptions of the file open at once.
const maxSpillSenders = 64

// spillLoc is where a record is in the file.
type spillLoc struct {
	off int64
	n   int
	seq uint64 // which write made it: a record rewritten in the same place is another
}

// maxSpillRecords bounds the records the index holds: about 5 MB of
// heap. At 1M cards a page's records (plain and packed) take about
// 60 KB, so a 1 GiB file holds fewer; pages of a small database, a few
// KB each, would otherwise fill the heap with the index of a big file.
const maxSpillRecords = 32 << 10

// spillSlot is a record in the index: where it is, and whether it was
// read back whole once (its CRC checked). Its bytes do not change while
// it is in the index (an overwrite forgets it first), so a later read
// checks only its key.
type spillSlot struct {
	spillLoc
	checked bool
	forms   byte // the record's flags: which bodies it holds (see record)
	plain   int  // the length of its plain body, its last bytes (0: none)
}

// spilled is a record in the file.
type spilled struct {
	key string
	loc spillLoc
}

func newSpillFile(dir string, budget int64, failed func(error)) *spillFile {
	if budget <= 0 {
		return nil
	}
	return &spillFile{dir: dir, budget: budget, index: map[string]spillSlot{}, pins: map[uint64]spillPin{}, failed: failed}
}

// spillJob is a response pushed out of memory, on its way to the file:
// its bodies were taken under the cache's lock (the bytes of a kept
// body never change).
type spillJob struct {
	key    string
	header http.Header
	size   int
	shared bool // its bodies are three pieces (around a shared part)
	body   [encodings]encodedBody
	has    [encodings]bool
	// plain is the body itself, in a record of its own (under the key
	// plainKey gives): see spillPlain.
	plain []byte
}

// plainKey is the key of the record of the plain body of the response
// kept under key.
func plainKey(key string) string { return key + "\x00plain" }

// spillJobOf returns r's job, or false when r does not spill. c.mu is
// held.
func (c *responseCache) spillJobOf(r *cachedResponse) (spillJob, bool) {
	if c.spill == nil || r.nonCanonical {
		return spillJob{}, false
	}
	j := spillJob{key: r.key, header: r.header, size: r.size, shared: r.shared != nil}
	kept := false
	for enc := range encoding(encodings) {
		j.body[enc], j.has[enc] = r.body(enc)
		kept = kept || j.has[enc]
	}
	return j, kept
}

// flushSpills writes the responses pushed out of memory to the spill
// file. c.mu is not held.
func (c *responseCache) flushSpills() {
	if c.spill == nil {
		return
	}
	c.mu.Lock()
	jobs := c.spills
	c.spills = nil
	c.mu.Unlock()
	for _, j := range jobs {
		c.spill.write(j)
	}
}

// crcTable is the Castagnoli polynomial's, which the CPU computes.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// forms returns the flags of j's record that say which bodies it holds.
func (j spillJob) forms() byte {
	var flags byte
	for enc, ok := range j.has {
		if ok {
			flags |= 1 << enc
		}
	}
	if j.plain != nil {
		flags |= 1 << 6
	}
	return flags
}

// recordSize is about the length of j's record (all but its headers).
func (j spillJob) recordSize() int {
	n := 64 + len(j.key) + len(j.plain)
	for enc := range j.body {
		n += j.body[enc].len() + 16
	}
	return n
}

// appendRecord returns j as a record, in buf's room when it has enough:
// the CRC of what follows it, then the key, the body's size, which
// encodings follow and in how many pieces, the headers, and each
// encoding's pieces.
func (j spillJob) appendRecord(buf []byte) []byte {
	b := slices.Grow(buf[:0], j.recordSize())[:4]
	b = appendString(b, j.key)
	b = binary.AppendUvarint(b, uint64(j.size)) // #nosec G115 -- a size is not negative
	flags := j.forms()
	if j.shared {
		flags |= 1 << 7
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(j.header)))
	for k, vs := range j.header {
		b = appendString(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	for enc, ok := range j.has {
		if !ok {
			continue
		}
		for _, p := range j.pieces(encoding(enc)) {
			b = appendBytes(b, p)
		}
	}
	if j.plain != nil {
		b = appendBytes(b, j.plain)
	}
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[4:], crcTable))
	return b
}

// pieces returns j's body in enc as its one or three pieces.
func (j spillJob) pieces(enc encoding) [][]byte {
	if j.shared {
		return j.body[enc][:]
	}
	return j.body[enc][:1]
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// errSpill is a record that does not read back as it was written.
var errSpill = errors.New("response cache: a spilled record does not read back")

// parseRecord reads a record into a response kept nowhere (spilled is
// set), whose pieces are slices of b: its CRC is checked unless checked
// is set, and its headers are read only if headers is set (a plain body
// is served with the headers of the response kept in memory).
// With cut, b stops before the plain body (which is sent from the file:
// see pinPlain).
func parseRecord(b []byte, key string, checked, headers, cut bool) (*cachedResponse, error) {
	if len(b) < 4 || (!checked && binary.LittleEndian.Uint32(b) != crc32.Checksum(b[4:], crcTable)) {
		return nil, errSpill
	}
	d := decoder{b: b[4:]}
	if string(d.bytes()) != key {
		return nil, errSpill
	}
	r := &cachedResponse{key: key, spilled: true}
	if headers {
		r.header = http.Header{}
	}
	r.size = int(d.uvarint(maxCachedResponse)) // #nosec G115 -- at most maxCachedResponse
	flags := d.byte()
	for range d.count() {
		k := d.bytes()
		for range d.count() {
			if v := d.bytes(); headers {
				r.header[string(k)] = append(r.header[string(k)], string(v))
			}
		}
	}
	shared := flags&(1<<7) != 0
	if shared {
		r.shared = &sharedPart{}
	}
	for enc := range encoding(encodings) {
		if flags&(1<<enc) == 0 {
			continue
		}
		head := d.bytes()
		if !shared {
			r.form[enc] = pieces{head: head}
			continue
		}
		r.shared.form[enc] = d.bytes()
		r.form[enc] = pieces{head: head, tail: d.bytes()}
	}
	switch {
	case flags&(1<<6) == 0:
	case cut:
		if int(d.uvarint(maxCachedResponse)) != r.size { // #nosec G115 -- at most maxCachedResponse
			return nil, errSpill
		}
	default:
		if r.plain = d.bytes(); len(r.plain) != r.size {
			return nil, errSpill
		}
	}
	if d.bad || len(d.b) != 0 {
		return nil, errSpill
	}
	return r, nil
}

// decoder reads a record's fields; bad is set once one is cut short.
type decoder struct {
	b   []byte
	bad bool
}

// uvarint reads a number up to limit.
func (d *decoder) uvarint(limit uint64) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count or a length: no more than the bytes left.
func (d *decoder) count() uint64 { return d.uvarint(uint64(len(d.b))) }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.count()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	if v == nil {
		v = []byte{} // a kept piece is never nil (nil means not kept)
	}
	return v
}

// write adds j's record to the file, unless its key is there already or
// the record is over an eighth of the budget.
func (s *spillFile) write(j spillJob) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	forms := j.forms()
	s.mu.Lock()
	old, ok := s.index[j.key]
	broken := s.broken
	s.mu.Unlock()
	// A key is written again only with bodies its record lacks (a page
	// spilled in S2, recomputed for a browser and kept gzipped, and
	// pushed out again).
	if (ok && old.forms|forms == old.forms) || broken || int64(j.recordSize()) > s.budget/8 {
		return
	}
	rec := j.appendRecord(s.wbuf)
	if cap(rec) <= maxKeptRecordBuffer {
		s.wbuf = rec
	}
	n := int64(len(rec))
	s.mu.Lock()
	if s.f == nil {
		if err := s.open(); err != nil {
			s.fail(err)
			s.mu.Unlock()
			return
		}
	}
	// A record being sent from the file (pinned) is never written over:
	// the write position skips past it, as if a record had been written
	// there (the records in the way, it too, are forgotten). A slow
	// client costs the ring one record, not its writes.
	to := s.next(n)
	for tries := 0; ; tries++ {
		end, pinned := s.pinnedIn(to, n)
		if !pinned {
			break
		}
		if tries > len(s.pins) {
			s.mu.Unlock() // pinned everywhere it could go: not written
			return
		}
		s.claim(to, end-to)
		to = s.next(n)
	}
	s.seq++
	at := spillLoc{off: to, n: len(rec), seq: s.seq}
	s.claim(to, n)
	// The index is heap (about 150 bytes a record): it holds at most
	// maxSpillRecords, the oldest forgotten first.
	s.forget(func(spillLoc) bool { return len(s.index) >= maxSpillRecords })
	f := s.f
	s.mu.Unlock()
	// The records in the way are forgotten: a reader that found one
	// before finds it gone after its read, and does not serve it.
	if _, err := f.WriteAt(rec, at.off); err != nil {
		s.mu.Lock()
		s.fail(err)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.index[j.key] = spillSlot{spillLoc: at, forms: forms, plain: len(j.plain)}
	s.queue = append(s.queue, spilled{key: j.key, loc: at})
	s.mu.Unlock()
}

// next is where the next n bytes go: the write position, or the start
// of the file when they do not fit before its end. s.mu is held.
func (s *spillFile) next(n int64) int64 {
	if s.off+n > s.budget {
		return 0
	}
	return s.off
}

// claim takes the n bytes at to (next's answer) for a record, forgetting
// the records in the way, and moves the write position past them. s.mu
// is held.
func (s *spillFile) claim(to, n int64) {
	if to < s.off {
		// A new lap. Past the write position are only records of the
		// lap before (the oldest), which the new lap would not reach
		// in order.
		s.forget(func(old spillLoc) bool { return old.off >= s.off })
	}
	s.forget(func(old spillLoc) bool { return old.off < to+n && to < old.off+int64(old.n) })
	s.off = to + n
}

// pinnedIn reports whether a record being sent overlaps the n bytes at
// off, and where the last such record ends. s.mu is held.
func (s *spillFile) pinnedIn(off, n int64) (end int64, pinned bool) {
	for _, p := range s.pins {
		if p.loc.off < off+n && off < p.loc.off+int64(p.loc.n) {
			end, pinned = max(end, p.loc.off+int64(p.loc.n)), true
		}
	}
	return end, pinned
}

// start makes the file, when the server starts: a directory that cannot
// take it is an error then, and the file's descriptor is there from the
// start (a server's descriptors are the same before and after a load).
func (s *spillFile) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open()
}

// open makes the file, unlinked at once. s.mu is held.
func (s *spillFile) open() error {
	f, err := os.CreateTemp(s.dir, "cardex-spill-*")
	if err != nil {
		return err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return err
	}
	s.f = f
	s.openSenders()
	return nil
}

// close closes the spill file, if c has one.
func (c *responseCache) close() error {
	if c == nil || c.spill == nil {
		return nil
	}
	return c.spill.close()
}

// close closes the file and its idle descriptions, after the writer in
// progress, and forgets every record: reads find none, writes write
// none (as after a failure, of which nothing is logged). The file stays
// set, closed: a request still reading from it (there is none after the
// HTTP server's Shutdown) gets an error and computes its page again.
func (s *spillFile) close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken = true
	clear(s.index)
	s.queue, s.head = nil, 0
drain: // the senders kept idle
	for {
		select {
		case g := <-s.senders: // nil when there are none: never ready
			g.Close()
		default:
			break drain
		}
	}
	if s.f == nil { // never made
		return nil
	}
	if err := s.f.Close(); !errors.Is(err, os.ErrClosed) { // closed before: not an error
		return err
	}
	return nil
}

// fail stops the writing of records (a full disk, a folder that cannot
// be written): the records already written are still served, and pages
// pushed out of memory are computed again when they come back, as
// without the file. s.mu is held.
func (s *spillFile) fail(err error) {
	if !s.broken && s.failed != nil {
		s.failed(err)
	}
	s.broken = true
}

// forget drops from the index the oldest records while in says they are
// in the way. In write order the records are in file order from the
// write position on (those of the lap before, then those of this one),
// so the records the next one overlaps are at the head. s.mu is held.
func (s *spillFile) forget(in func(spillLoc) bool) {
	for s.head < len(s.queue) {
		old := s.queue[s.head]
		if !in(old.loc) {
			break
		}
		if s.index[old.key].spillLoc == old.loc {
			delete(s.index, old.key)
		}
		s.queue[s.head] = spilled{}
		s.head++
	}
	if s.head > len(s.queue)/2 {
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
}

// read returns the response spilled under key, read into buf (its pieces
// are slices of buf's bytes, good until buf is reused), or nil; its
// headers only if headers is set.
func (s *spillFile) read(key string, buf *bytes.Buffer, headers bool) *cachedResponse {
	s.mu.Lock()
	at, ok := s.index[key]
	f := s.f
	s.mu.Unlock()
	if !ok {
		return nil
	}
	buf.Reset()
	buf.Grow(at.n)
	rec := buf.AvailableBuffer()[:at.n]
	_, err := f.ReadAt(rec, at.off)
	var r *cachedResponse
	if err == nil {
		r, err = parseRecord(rec, key, at.checked, headers, false)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now, still := s.index[key]
	switch {
	case !still || now.spillLoc != at.spillLoc:
		return nil // forgotten during the read: perhaps written over
	case err != nil:
		delete(s.index, key)
		return nil
	case !at.checked:
		now.checked = true
		s.index[key] = now
	}
	return r
}

// serveSpilled answers r from the response spilled under key, if there
// is one and it reads back (its plain body's record first, for a client
// that does not take gzip); it reports whether it did.
func (c *responseCache) serveSpilled(w http.ResponseWriter, r *http.Request, key string) bool {
	buf := c.buffer()
	defer c.release(buf)
	zipped := keptEncoding(r) == encGzip
	var resp *cachedResponse
	if !zipped {
		// A record that does not read back is forgotten by either, and
		// the packed record is tried next.
		if send := c.spill.pinPlain(plainKey(key)); send != nil {
			defer send.release()
			resp = send.response(buf)
		} else {
			resp = c.spill.read(plainKey(key), buf, true)
		}
	}
	if resp == nil {
		resp = c.spill.read(key, buf, true)
	}
	// A client that takes gzip gets a page kept only in S2 computed
	// again, gzipped and kept in memory (and spilled gzipped when it is
	// pushed out), rather than plain with the plain ETag.
	if resp == nil || (zipped && resp.form[encGzip].head == nil) {
		return false
	}
	return c.serve(w, r, resp)
}

// The plain body of a page, for clients that do not take gzip (scripts,
// feed readers, load generators): unpacking S2 was 41% of the server's
// CPU on the Zipf mix with the spill file (perf, 1M cards, at 8cab61e),
// and reading a page's bytes from the kernel's page cache is a copy. The
// plain body is spilled in a record of its own when it is first unpacked
// for such a client (the page's second request: a page asked for once,
// as most of a crawl is, writes none), and read from the file from then
// on, for a page kept in memory too.

// spillPlain writes the plain body of the response kept under key to
// the spill file, unless it is there already.
func (c *responseCache) spillPlain(key string, header http.Header, body []byte) {
	if c.spill != nil {
		c.spill.write(spillJob{key: plainKey(key), header: header, size: len(body), plain: body})
	}
}

// servePlainSpilled answers a request for resp's plain body from its
// record, if there is one, with head writing the headers; it reports
// whether it did.
func (c *responseCache) servePlainSpilled(w http.ResponseWriter, r *http.Request, resp *cachedResponse, head func(int, string, int)) bool {
	if send := c.spill.pinPlain(plainKey(resp.key)); send != nil {
		defer send.release()
		head(http.StatusOK, "", send.n)
		send.writeTo(r.Context(), w)
		return true
	}
	buf := c.buffer()
	defer c.release(buf)
	rec := c.spill.read(plainKey(resp.key), buf, false)
	if rec == nil || rec.plain == nil {
		return false
	}
	head(http.StatusOK, "", len(rec.plain))
	w.Write(rec.plain)
	return true
}
