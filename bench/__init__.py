"""Homeward benchmarks: `make bench` (or `python -m bench`) prints one JSON object per figure.

Each backend (SQLite file, throw-away PostgreSQL database) gets a fresh database with the demo
data and one real `homeward serve --workers 1` subprocess, then:

- create_throughput: POST /2025-07/return requests/second over HTTP with 8 concurrent keep-alive
  connections, as a ratio to GET /healthz of the same server in the same run (goal >= 0.5).
- label_throughput: returns created with a bought label (rate-card quote, tracking number, 4x6 PDF,
  invoice) per second over the same returns created without one, service layer, same run.
- list_latency: with 100,000 returns bulk-loaded, p50/p95 of GET /2025-07/return filtered by
  ReferenceIds and by Status (goal p95 <= 10 ms).
- page_ratio: median latency of the last page over the first page, following the `last` link
  (goal <= 1.5); a page reached by following `next` and a deep middle page are shown too.
- server_rss: VmRSS of the server process after the run (goal <= 200 MB).
- refund_file (bench/refunds.py): a 100,000-row Jet refund file from FTP upload to ack, in rows/s
  and as a ratio to Python's csv module merely reading it; the FTP server's peak RSS after a
  10,000-row and the 100,000-row file (goal: grows by at most 25 MB, flat in file size).

- warehouse_service / warehouse_service_single / warehouse_http: returns taken from creation to
  Completed (10,000 through the service layer's batch use cases, 500 per call; 2,000 one call per
  return and step; 1,000 over HTTP), as returns/second and as a ratio to a bare insert of the same
  rows in the same run (bench/warehouse.py; goal for the batches: at least 0.1); on a database of
  their own.

Environment: HOMEWARD_BENCH_SUITES (default "returns,warehouse"), HOMEWARD_TEST_POSTGRES_URL
(admin URL for throw-away databases) and HOMEWARD_BENCH_BACKENDS (default "sqlite,postgresql").
Progress goes to stderr, figures to stdout.
"""
