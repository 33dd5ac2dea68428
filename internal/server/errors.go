package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"syscall"

	"cardex/internal/catalog"
)

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: every error goes through serveError.
func (s *server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.serveError(w, r, err)
		}
	}
}

// httpError is an error with a status and a message safe to show.
type httpError struct {
	status int
	msg    string
	// links offer a way on ("the last page", "all tags").
	links []link
	// retryAfter, when set, is the response's Retry-After (a 503).
	retryAfter string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

// redirect is not a failure: the request named a thing by another URL.
type redirect struct{ url string }

func (e *redirect) Error() string { return "moved to " + e.url }

var errMethod = &httpError{status: http.StatusMethodNotAllowed, msg: "this address only answers GET and HEAD"}

func errNotFound(msg string, links ...link) error {
	return &httpError{status: http.StatusNotFound, msg: msg, links: links}
}

type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
	Field   string
	Links   []link
}

// serveError is the one place errors become responses: invalid input is a
// 400 saying what is wrong, a missing thing a 404, a timeout a 503, and
// anything else a 500 that is logged with the request id and shown as a
// plain apology. Internal error text never reaches the user.
func (s *server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	p := errorPage{layout: s.newLayout(r, "Error")}
	var he *httpError
	var ie *catalog.InvalidError
	var rd *redirect
	var ab errAborted
	if u, ok := movedURL(r, err); ok {
		// A tag alias: the same request under the canonical tag.
		err = &redirect{url: u}
	}
	switch {
	case errors.As(err, &rd):
		http.Redirect(w, r, rd.url, http.StatusMovedPermanently)
		return
	case errors.As(err, &ab):
		if !clientGone(r, err) {
			s.log.Error("response aborted", "id", requestID(r.Context()), "path", r.URL.RequestURI(), "err", err)
		}
		return
	case errors.As(err, &he):
		p.Status, p.Message, p.Links = he.status, he.msg, he.links
		if he.retryAfter != "" {
			w.Header().Set("Retry-After", he.retryAfter)
		}
	case errors.As(err, &ie):
		p.Status, p.Field, p.Message = http.StatusBadRequest, ie.Field, ie.Reason
	case errors.Is(err, catalog.ErrNotFound):
		p.Status, p.Message = http.StatusNotFound, notFoundMessage(err)
	case errors.Is(err, catalog.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		p.Status, p.Message = http.StatusServiceUnavailable, "This query took too long. Try fewer filters, or try again in a moment."
		w.Header().Set("Retry-After", "5")
		s.log.Warn("query timeout", "id", requestID(r.Context()), "path", r.URL.RequestURI(), "err", err)
	case errors.Is(err, context.Canceled):
		// The client went away; nobody is left to read a response.
		return
	default:
		p.Status, p.Message = http.StatusInternalServerError, "Something went wrong on our side. It has been logged; please try again later."
		s.log.Error("internal error", "id", requestID(r.Context()), "method", r.Method, "path", r.URL.RequestURI(), "err", err)
	}
	p.Heading = http.StatusText(p.Status)
	p.Title = p.Heading
	p.RequestID = requestID(r.Context())
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Del("Content-Disposition")
	if _, f := splitExt(path.Base(r.URL.Path)); f == formatJSON {
		// An API client gets the error as JSON.
		type jsonError struct {
			Status  int    `json:"status"`
			Error   string `json:"error"`
			Field   string `json:"field,omitempty"`
			Message string `json:"message"`
		}
		b, _ := json.Marshal(map[string]jsonError{"error": {p.Status, p.Heading, p.Field, p.Message}})
		h.Set("Content-Type", contentType[formatJSON])
		w.WriteHeader(p.Status)
		w.Write(b)
		return
	}
	s.render(w, r, p.Status, "error", p)
}

// notFoundMessage says what was not found, without internals: the store
// wraps ErrNotFound as "not found: no tag \"x\"".
func notFoundMessage(err error) string {
	msg := err.Error()
	if rest, ok := cutPrefix(msg, catalog.ErrNotFound.Error()+": "); ok {
		return "Nothing here: " + rest + "."
	}
	return "Nothing here."
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

// clientGone reports whether err says the client went away: the request
// was canceled, or a write found the connection closed or reset (which
// can come before the server notices and cancels the request). Nobody is
// left to read a response, and it is not the server's error.
func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(r.Context().Err(), context.Canceled) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}
