"""Peers: the registry of partner nodes, signed node-to-node transport (RFC 9421), the durable
outbox with its delivery worker, and the signed inbox. See docs/federation.md."""
