import { ErrorCode, PlaygroundError } from './errors.js';

/** The JSON a session request is answered with (the last line of a progress stream). */
export interface SessionAnswer {
  status?: unknown;
  id?: unknown;
  token?: unknown;
  spectatorToken?: unknown;
  error?: { code?: string; message?: string };
}

/** Reads an answer's progress lines, telling each, and answers its last line (with its status). */
export async function readProgress(response: Response, server: string, onProgress?: (line: string) => void): Promise<SessionAnswer> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let carry = '';
  for (;;) {
    const { done, value } = await reader.read();
    const lines = (carry += decoder.decode(value, { stream: !done })).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim())) {
      const message = JSON.parse(line) as SessionAnswer & { progress?: unknown };
      if (typeof message.progress !== 'string') return message;
      onProgress?.(message.progress);
    }
    if (done) throw new PlaygroundError(ErrorCode.Network, `the server at ${server} stopped answering while the machine was starting`);
  }
}
