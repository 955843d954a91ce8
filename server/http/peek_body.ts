// Reads a request body ahead of the handler that owns it, and puts it back into the stream untouched.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

/** The client stopped sending before its body was complete. */
export class IncompleteBody extends Error {
  override name = 'IncompleteBody';
}

/**
 * The whole body, or undefined when it is longer than `limit` (what was read is put back all the same, and the
 * owner reports the size). Node takes data back after the stream's end was read as long as 'end' was not yet
 * emitted, so the body goes back in the same tick in which its end is seen.
 */
export function peekBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onEnd);
    };
    const putBack = (body: Buffer) => {
      stop();
      if (body.length) req.unshift(body);
      return body;
    };
    function onReadable() {
      let chunk: Buffer | null;
      while (received <= limit && (chunk = req.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        received += chunk.length;
      }
      if (received > limit) {
        putBack(Buffer.concat(chunks, received));
        resolve(undefined);
      } else if (req.complete) {
        resolve(putBack(Buffer.concat(chunks, received)));
      }
    }
    function onEnd() {
      stop();
      reject(new IncompleteBody('the request body ended early'));
    }
    req.on('readable', onReadable);
    req.once('end', onEnd);
    req.once('error', onEnd);
  });
}

/** The whole body as text, for handlers that check its exact bytes (a signature, a JWE); 413 past `limit`. */
export async function textBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `the request body may be at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
