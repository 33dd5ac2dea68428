package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
)

// Plain bodies sent from the spill file. A client that does not take
// gzip (a script, a feed reader, a load generator) gets a page's plain
// body, kept in a record of its own (spillPlain). Read into the heap and
// written to the socket, each of its bytes was copied twice by the
// kernel, into the buffer and out of it: the pread was 15.5% of the
// server's CPU on the Zipf mix at 1M cards (perf, at 34713b8), and the
// copy into the socket part of the 32% that writing took. sendfile hands
// the page-cache pages to the socket instead, as nginx does with a
// static file.
//
// sendfile sends from a file description's own position, so each
// request sending at once has a description of its own (spillFile's
// senders, opened again through /proc/self/fd). A record being sent is
// pinned: nothing is written over it until the sending ends (a record
// that would be is not written; see write). A record is sent this way
// once it has been read back whole and its CRC checked (read); the
// first request for it is answered from the heap.

// openSenders opens the idle descriptions of the file. Where the file
// cannot be opened again (no /proc), senders stays nil and plain bodies
// are read and written. s.mu is held.
func (s *spillFile) openSenders() {
	raw, err := s.f.SyscallConn()
	if err != nil {
		return
	}
	var fd uintptr
	if raw.Control(func(f uintptr) { fd = f }) != nil {
		return
	}
	path := "/proc/self/fd/" + strconv.FormatUint(uint64(fd), 10)
	want, err := s.f.Stat()
	if err != nil {
		return
	}
	senders := make(chan *os.File, spillSenders)
	for range spillSenders {
		g, err := os.Open(path) // #nosec G304 G703 -- our own file, by its descriptor
		if err == nil {
			var got os.FileInfo
			if got, err = g.Stat(); err == nil && !os.SameFile(want, got) {
				err = os.ErrNotExist
			}
			if err != nil {
				g.Close()
			}
		}
		if err != nil {
			close(senders)
			for g := range senders {
				g.Close()
			}
			return
		}
		senders <- g
	}
	s.fdPath, s.senders = path, senders
}

// sender returns an idle description of the file, or a new one when
// every kept one is in use; nil when maxSpillSenders are open (or it
// cannot be opened): the body is then copied. Slow readers hold theirs
// for as long as they take, and a server short of descriptors must keep
// them for connections.
func (s *spillFile) sender() *os.File {
	select {
	case g := <-s.senders:
		return g
	default:
	}
	if s.extraSenders.Add(1) > maxSpillSenders-spillSenders {
		s.extraSenders.Add(-1)
		return nil
	}
	g, err := os.Open(s.fdPath) // #nosec G304 G703 -- our own file, by its descriptor
	if err != nil {
		s.extraSenders.Add(-1)
		return nil
	}
	return g
}

// putSender keeps g for the next request, or closes it when enough are
// kept.
func (s *spillFile) putSender(g *os.File) {
	select {
	case s.senders <- g:
	default:
		g.Close()
		s.extraSenders.Add(-1)
	}
}

// plainSend is a plain body in the file, pinned until release.
type plainSend struct {
	s   *spillFile
	key string
	at  spillLoc // the record
	off int64    // where the body starts
	n   int      // its length
}

// pinPlain pins the plain body of the record under key, if there is one
// and it was read back whole once (its CRC and key checked then: a
// record in the index does not change, and a pinned one is not written
// over, so its body is sent as it is). It returns nil otherwise.
func (s *spillFile) pinPlain(key string) *plainSend {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.index[key]
	if !ok || !at.checked || at.plain == 0 || s.senders == nil {
		return nil
	}
	pin := s.pins[at.seq]
	pin.loc, pin.n = at.spillLoc, pin.n+1
	s.pins[at.seq] = pin
	return &plainSend{s: s, key: key, at: at.spillLoc, off: at.off + int64(at.n-at.plain), n: at.plain}
}

// response reads the record up to its body into buf: the response
// returned has the record's headers and size, and p's body. nil when
// the record does not read back (it is then forgotten).
func (p *plainSend) response(buf *bytes.Buffer) *cachedResponse {
	s, at := p.s, p.at
	head := at.n - p.n
	buf.Reset()
	buf.Grow(head)
	rec := buf.AvailableBuffer()[:head]
	_, err := s.f.ReadAt(rec, at.off)
	var r *cachedResponse
	if err == nil {
		r, err = parseRecord(rec, p.key, true, true, true)
	}
	if err != nil {
		s.mu.Lock()
		if now, still := s.index[p.key]; still && now.spillLoc == at {
			delete(s.index, p.key)
		}
		s.mu.Unlock()
		return nil
	}
	r.send = p
	return r
}

// release unpins the body.
func (p *plainSend) release() {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	pin := s.pins[p.at.seq]
	if pin.n--; pin.n <= 0 {
		delete(s.pins, p.at.seq)
		return
	}
	s.pins[p.at.seq] = pin
}

// writeTo sends the body to w: with sendfile when w leads to a TCP
// connection (net/http's ResponseWriter is an io.ReaderFrom that uses
// it for a file), copied otherwise.
func (p *plainSend) writeTo(ctx context.Context, w http.ResponseWriter) error {
	g := p.s.sender()
	if g == nil {
		_, err := io.Copy(w, io.NewSectionReader(p.s.f, p.off, int64(p.n)))
		return err
	}
	defer p.s.putSender(g)
	if _, err := g.Seek(p.off, io.SeekStart); err != nil {
		return err
	}
	p.s.sent.Add(1)
	// The headers are flushed first: net/http's ReadFrom would otherwise
	// read the body's first 512 bytes to sniff its type (it has one)
	// before it sends the rest. They wait in the socket for the body.
	defer uncork(corked(ctx))
	if err := http.NewResponseController(w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	_, err := io.Copy(w, &io.LimitedReader{R: g, N: int64(p.n)})
	return err
}
