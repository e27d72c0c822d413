"""Web UI: server-rendered pages with htmx, the node's own CSS, no CDN."""
