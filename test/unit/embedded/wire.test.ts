import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  MessageReader, PROTOCOL_V3, ProtocolError, SSL_REQUEST, dropFirstMessage, frame, isCopyFromStdin, queryText, simpleQuery
} from '../../../src/embedded/wire.js'

function untyped (code: number, body = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(8 + body.length)
  out.writeInt32BE(8 + body.length, 0)
  out.writeInt32BE(code, 4)
  body.copy(out, 8)
  return out
}

test('splits startup, SSL request and typed messages, whatever the chunk boundaries', () => {
  const stream = Buffer.concat([
    untyped(SSL_REQUEST),
    untyped(PROTOCOL_V3, Buffer.from('user\0postgres\0\0')),
    Buffer.from(simpleQuery('SELECT 1')),
    Buffer.from(frame('S'))
  ])
  // Every split point, including inside headers, gives the same messages.
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new MessageReader()
    const messages = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))]
    assert.deepEqual(messages.map((m) => m.type || m.code), [SSL_REQUEST, PROTOCOL_V3, 'Q', 'S'], `cut at ${cut}`)
    assert.equal(queryText(messages[2]), 'SELECT 1')
  }
})

test('a length that cannot be right is a protocol error', () => {
  const reader = new MessageReader()
  reader.push(untyped(PROTOCOL_V3))
  const bad = Buffer.from([0x51, 0, 0, 0, 2]) // 'Q' claiming 2 bytes, less than its own length field
  assert.throws(() => reader.push(bad), ProtocolError)
})

test('recognises COPY ... FROM STDIN simple queries only', () => {
  const reader = new MessageReader()
  reader.push(untyped(PROTOCOL_V3))
  const [copy, other, copyTo] = reader.push(Buffer.concat([
    Buffer.from(simpleQuery('  copy "users" ("id", "email") FROM STDIN')),
    Buffer.from(simpleQuery("SELECT 'copy from stdin'")),
    Buffer.from(simpleQuery('COPY users TO STDOUT'))
  ]))
  assert.equal(isCopyFromStdin(copy), true)
  assert.equal(isCopyFromStdin(other), false)
  assert.equal(isCopyFromStdin(copyTo), false)
})

test('dropFirstMessage removes only a leading message of the given type', () => {
  const g = frame('G', new Uint8Array([0, 0, 0]))
  const c = frame('C', Buffer.from('COPY 3\0'))
  const both = Buffer.concat([g, c])
  assert.deepEqual(Buffer.from(dropFirstMessage(both, 'G')), Buffer.from(c))
  assert.deepEqual(Buffer.from(dropFirstMessage(c, 'G')), Buffer.from(c))
})
