// A small payments service (node:http, no framework) that posts repayments through bsa-lms.
//
//   POST /loans/<loan external id>/repayments   {"amount": 450, "reference": "wallet-98765"}
//
// answers 201 with the transaction id, 404 for an unknown loan, and 503 while the lender's API
// is unavailable (the wallet reference is the idempotency key, so a retry never pays twice).
import http from 'node:http'
import { ApiConnectionError, NotFoundError, UnavailableError } from 'bsa-lms'

/** The request handler; with Express it would be `app.post('/loans/:ref/repayments', ...)`. */
export function repaymentHandler(client) {
  return async (req, res) => {
    const match = /^\/loans\/([^/]+)\/repayments$/.exec(req.url ?? '')
    if (req.method !== 'POST' || !match) return send(res, 404, { error: 'no such route' })
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const { amount, reference } = JSON.parse(Buffer.concat(chunks).toString() || '{}')
    const ref = decodeURIComponent(match[1])
    try {
      const tx = await client.createRepaymentByExternalId(ref, {
        transactionAmount: Number(amount),
        idempotencyKey: String(reference),
      })
      send(res, 201, { transactionId: tx.id })
    } catch (err) {
      if (err instanceof NotFoundError) return send(res, 404, { error: `no loan ${ref}` })
      if (err instanceof UnavailableError || err instanceof ApiConnectionError) {
        return send(res, 503, { error: 'the lender is unavailable; retry later' })
      }
      send(res, 500, { error: 'internal error' })
    }
  }
}

export function createPaymentsServer(client) {
  return http.createServer(repaymentHandler(client))
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
