module cardex

go 1.26

require (
	github.com/go-chi/chi/v5 v5.5.0 // indirect
	github.com/mattn/go-sqlite3 v1.14.53 // indirect
	github.com/yuin/goldmark v1.8.7 // indirect
)
