package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/template"
)

// nginxConf is a caching reverse proxy in front of the replicas. Everything
// it writes (pid, logs, cache, temporary files) is under the prefix, so it
// touches neither /etc/nginx nor /var; it listens on loopback only.
//
// Responses from cardex say how long they may be cached (Cache-Control:
// max-age=60, stale-while-revalidate=600), and nginx obeys that;
// proxy_cache_valid only covers a response that says nothing. When an
// entry expires, proxy_cache_revalidate asks a replica with If-None-Match
// and If-Modified-Since, and a replica still on the same dataset version
// answers 304. proxy_cache_use_stale keeps answering from the cache while
// an entry is being refreshed or when no replica answers.
var nginxConf = template.Must(template.New("nginx.conf").Parse(`# Written by internal/scaling (make scaling-demo) for one run; not for production.
{{if .User}}# The master runs as root: run the workers as the same user, so they can
# write the cache under this work tree wherever it lives.
user {{.User}} {{.Group}};
{{end}}daemon off;
master_process on;
worker_processes 1;
pid {{.Prefix}}/logs/nginx.pid;
lock_file {{.Prefix}}/logs/nginx.lock;
error_log {{.Prefix}}/logs/error.log warn;

events {
    worker_connections 1024;
}

http {
    default_type application/octet-stream;
    log_format cache '$time_iso8601 "$request" $status $upstream_cache_status '
                     'upstream=$upstream_addr upstream_status=$upstream_status $request_time';
    access_log {{.Prefix}}/logs/access.log cache;
    client_body_temp_path {{.Prefix}}/tmp/body;
    proxy_temp_path {{.Prefix}}/tmp/proxy;
    fastcgi_temp_path {{.Prefix}}/tmp/fastcgi;
    uwsgi_temp_path {{.Prefix}}/tmp/uwsgi;
    scgi_temp_path {{.Prefix}}/tmp/scgi;

    proxy_cache_path {{.Prefix}}/cache levels=1:2 keys_zone=cardex:10m max_size=256m inactive=10m use_temp_path=off;

    upstream cardex {
{{range .Replicas}}        server {{.}};
{{end}}        keepalive 16;
    }

    server {
        listen {{.Listen}};

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        # Feeds and the sitemap carry absolute URLs, built from Host and
        # X-Forwarded-Proto: pass both, and key the cache on them too.
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Proto $scheme;
        # A replica that fails or is restarting: try the other one.
        proxy_next_upstream error timeout http_502 http_503 http_504;

        location = /healthz {
            proxy_pass http://cardex;
        }

        location / {
            proxy_pass http://cardex;
            proxy_cache cardex;
            proxy_cache_key $scheme$http_host$request_uri;
            proxy_cache_valid 200 301 10s;
            proxy_cache_revalidate on;
            proxy_cache_use_stale updating error timeout http_502 http_503 http_504;
            proxy_cache_background_update on;
            proxy_cache_lock on;
            add_header X-Cache-Status $upstream_cache_status always;
        }
    }
}
`))

// nginxConfig is what nginxConf needs.
type nginxConfig struct {
	Prefix      string // absolute
	Listen      string
	Replicas    []string
	User, Group string // set only when running as root
}

// writeNginxConf writes conf/nginx.conf under c.Prefix, with the folders
// nginx expects there, and returns its path.
func writeNginxConf(c nginxConfig) (string, error) {
	if os.Geteuid() == 0 {
		u, err := user.Current()
		if err != nil {
			return "", err
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return "", err
		}
		c.User, c.Group = u.Username, g.Name
	}
	for _, d := range []string{"conf", "logs", "tmp", "cache"} {
		if err := os.MkdirAll(filepath.Join(c.Prefix, d), 0o755); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	if err := nginxConf.Execute(&b, c); err != nil {
		return "", err
	}
	path := filepath.Join(c.Prefix, "conf", "nginx.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("nginx config: %w", err)
	}
	return path, nil
}
