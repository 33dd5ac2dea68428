package catalog_test

import (
	"testing"

	"cardex/internal/catalog"
)

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Distributed Systems", "distributed-systems"},
		{"Real-time Processing", "real-time-processing"},
		{"Real\u2011time Processing", "real-time-processing"},
		{"C++", "c-plus-plus"},
		{"C#", "c-sharp"},
		{".NET", "net"},
		{"Node.js", "node-js"},
		{"HTTP/2", "http-2"},
		{"Café Résumé", "cafe-resume"},
		{"  Kafka  ", "kafka"},
		{"分布式 系统", "分布式-系统"},
		{"R&D Management", "r-and-d-management"},
		{"!!!", "-"},
		{"MySQL", "mysql"},
	}
	for _, tt := range tests {
		if got := catalog.Slugify(tt.in); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
