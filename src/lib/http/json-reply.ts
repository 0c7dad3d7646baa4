import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CacheStatus } from '../cache/index.js'

/** An answer already serialized to JSON, and how the cache found it (none: no cache read). */
export interface JsonAnswer {
  body: string
  status?: CacheStatus
}

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Sends serialized JSON as it is: Fastify does not serialize a string sent
 * with a JSON content type, so a cache hit costs no serialization. Records
 * the cache outcome for Server-Timing, the access log and the compression of
 * cached bodies.
 */
export function sendJson (request: FastifyRequest, reply: FastifyReply, answer: JsonAnswer): FastifyReply {
  if (answer.status !== undefined) request.timings.cacheStatus = answer.status
  return reply.type(JSON_TYPE).send(answer.body)
}
