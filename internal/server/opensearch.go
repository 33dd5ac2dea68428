package server

import (
	"encoding/xml"
	"net/http"
)

// baseURL is the scheme and host the client used, honouring a proxy's
// X-Forwarded-Proto, for the few documents that need absolute URLs.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// openSearch serves the OpenSearch description that lets browsers add
// cardex as a search engine.
func (s *server) openSearch(w http.ResponseWriter, r *http.Request) error {
	type url struct {
		Type     string `xml:"type,attr"`
		Method   string `xml:"method,attr"`
		Template string `xml:"template,attr"`
	}
	doc := struct {
		XMLName       xml.Name `xml:"http://a9.com/-/spec/opensearch/1.1/ OpenSearchDescription"`
		ShortName     string   `xml:"ShortName"`
		Description   string   `xml:"Description"`
		InputEncoding string   `xml:"InputEncoding"`
		URLs          []url    `xml:"Url"`
	}{
		ShortName:     "cardex",
		Description:   "Search the cardex article index",
		InputEncoding: "UTF-8",
		URLs: []url{
			{Type: "text/html", Method: "get", Template: baseURL(r) + "/?q={searchTerms}"},
			{Type: "application/atom+xml", Method: "get", Template: baseURL(r) + "/index.atom?q={searchTerms}"},
		},
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/opensearchdescription+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write([]byte(xml.Header))
	w.Write(out)
	return nil
}
