"""Every read query the service runs, one module per area. Each function takes a `service.db.Cursor` (so every
query is under the time limit) and returns models or plain rows; errors are the service's, never HTTP ones.

- `meta`: the snapshot served, counts, agencies, sources
- `firms`: the firm list (filters, sorts, keyset pages), its export, top awards, a firm's history
- `profiles`: a firm's whole profile, built for every firm when a snapshot opens
- `candidates`: the review queue
- `lookups`: what screening looks up in memory (identifiers, names, roll-ups, overrides)
- `universe`: the listed-issuer universe and the span of the loaded records
"""
