"""Services own the transactions: each public function commits or rolls back once, returns plain
data or models, and raises errors from :mod:`server.errors`."""
