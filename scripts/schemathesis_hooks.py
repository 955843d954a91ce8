# Loaded by scripts/schemathesis.ts: POST /api/async takes its compact JWE as text, in application/jose.
import schemathesis

schemathesis.serializer.alias("application/jose", "text/plain")
