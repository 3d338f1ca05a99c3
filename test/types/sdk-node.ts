// The README's Node snippet, verbatim apart from the top-level await wrapper: `ws` is accepted as
// the WebSocket implementation under `strict`, without a cast.
import { connect, type Session, type WebSocketConstructor } from '@ix-playground/sdk';
import WebSocket from 'ws';

export async function readme(): Promise<Session> {
  const session = await connect({ server: 'http://localhost:8080', playground: 'hello', WebSocket });
  session.on('output', ({ data }) => process.stdout.write(data));
  session.on('task', (task) => console.log(task.id, task.state));
  session.write(0, 'ls -la\r');
  return session;
}

// The browser's own WebSocket fits too.
export const browser: WebSocketConstructor = globalThis.WebSocket;

// @ts-expect-error a class whose instances cannot send is not a WebSocket
export const notASocket: WebSocketConstructor = class {
  constructor(readonly url: string) {}
};
