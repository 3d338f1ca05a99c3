// The in-page half of the browser benches: installed in every page before its own scripts run
// (puppeteer's evaluateOnNewDocument), identical for both sides. It only reads the xterm.js
// Terminal (`<ix-playground>.terminal`, or the hand-rolled page's `window.term`) through its public
// API, and times things with the page's own clock (performance.now(), ms since navigation start).
//
// window.__bench:
//   term()                    the page's Terminal, once it exists
//   firstPromptAt             when a shell prompt was first visible in the buffer (cold start)
//   whenPrompt(ms)            resolves with the time the cursor line next ends in a prompt ($ or #)
//   whenLine(text, ms)        resolves with the time a line near the cursor reads exactly `text`
//   nextFrame()               resolves with the time of the next animation frame
//   frames.start()/stop()     records the gaps between animation frames
//   keys                      keydown times (event.timeStamp), oldest first
//   input(text), focus()      type into the terminal (xterm's onData fires) / focus it
//   ws                        WebSocket frames and bytes received and sent by the page so far
//   ceiling(bytes)            writes `bytes` of random base64 lines from memory into a fresh
//                             Terminal like the page's, returns { bytes, ms } until rendered

/** Runs in the page. Must be self-contained: puppeteer sends its source text. */
export function installProbe() {
  const PROMPT = /[$#] ?$/;
  const bench = {
    firstPromptAt: undefined,
    terminalAt: undefined,
    keys: [],
    term() {
      return document.querySelector('ix-playground')?.terminal ?? window.term;
    },
    cursorLine() {
      const t = bench.term();
      if (!t) return '';
      const b = t.buffer.active;
      return b.getLine(b.baseY + b.cursorY)?.translateToString(true) ?? '';
    },
    atPrompt() {
      return PROMPT.test(bench.cursorLine());
    },
    /** Resolves with performance.now() the first time `test()` holds, checked now and after every parsed write. */
    when(test, ms, what) {
      return new Promise((resolve, reject) => {
        const t = bench.term();
        if (!t) return reject(new Error('no terminal in the page'));
        if (test()) return resolve(performance.now());
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error(`timed out after ${ms} ms waiting for ${what}; cursor line: ${JSON.stringify(bench.cursorLine())}`));
        }, ms);
        const sub = t.onWriteParsed(() => {
          if (!test()) return;
          const at = performance.now();
          clearTimeout(timer);
          sub.dispose();
          resolve(at);
        });
      });
    },
    whenPrompt(ms = 30_000) {
      return bench.when(bench.atPrompt, ms, 'a prompt');
    },
    whenLine(text, ms = 60_000) {
      const test = () => {
        const b = bench.term().buffer.active;
        const y = b.baseY + b.cursorY;
        for (let i = y; i >= Math.max(0, y - 4); i--) if (b.getLine(i)?.translateToString(true) === text) return true;
        return false;
      };
      return bench.when(test, ms, JSON.stringify(text));
    },
    nextFrame() {
      return new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
    },
    frames: {
      times: [],
      running: false,
      start() {
        this.times = [];
        this.running = true;
        const tick = (t) => {
          if (!this.running) return;
          this.times.push(t);
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      },
      stop() {
        this.running = false;
        return this.times.slice(1).map((t, i) => t - this.times[i]);
      },
    },
    /** Types into the terminal as if the user had (xterm's onData fires; the page sends it). */
    input(text) {
      bench.term().input(text, true);
    },
    focus() {
      bench.term().focus();
    },
    async ceiling(bytes, chunkBytes = 65536) {
      // Random bytes as base64 lines of 76 characters plus CRLF: what `base64` prints through a pty.
      const lines = [];
      const raw = new Uint8Array(57);
      let total = 0;
      while (total < bytes) {
        crypto.getRandomValues(raw);
        const line = btoa(String.fromCharCode(...raw)) + '\r\n';
        lines.push(line);
        total += line.length;
      }
      const text = lines.join('');
      const encoder = new TextEncoder();
      const chunks = [];
      for (let i = 0; i < text.length; i += chunkBytes) chunks.push(encoder.encode(text.slice(i, i + chunkBytes)));
      // A fresh Terminal of the page's own xterm.js, same options and grid, drawn over the page's.
      const page = bench.term();
      const box = page.element.getBoundingClientRect();
      const host = document.createElement('div');
      host.style.cssText = `position:fixed;left:${box.left}px;top:${box.top}px;width:${box.width}px;height:${box.height}px;z-index:10;background:#1e1e1e`;
      document.body.append(host);
      const { cursorBlink, fontSize, fontFamily, scrollback, theme } = page.options;
      const term = new page.constructor({ cursorBlink, fontSize, fontFamily, scrollback, theme, cols: page.cols, rows: page.rows });
      term.open(host);
      await bench.nextFrame();
      const start = performance.now();
      const parsed = new Promise((resolve) => {
        for (const chunk of chunks.slice(0, -1)) term.write(chunk);
        term.write(chunks[chunks.length - 1], resolve);
      });
      await parsed;
      const end = await bench.nextFrame();
      term.dispose();
      host.remove();
      return { bytes: total, ms: end - start, cols: page.cols, rows: page.rows };
    },
  };
  window.__bench = bench;
  addEventListener('keydown', (e) => bench.keys.push(e.timeStamp), true);

  // Counts WebSocket frames both ways (how output is chunked, how often acks go back); the page's
  // code gets the same WebSocket it would otherwise, with one more listener.
  const counts = { in: 0, inBytes: 0, out: 0, outBytes: 0 };
  bench.ws = counts;
  const size = (d) => (typeof d === 'string' ? d.length : (d.byteLength ?? d.size ?? 0));
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        counts.in++;
        counts.inBytes += size(e.data);
      });
    }
    send(data) {
      counts.out++;
      counts.outBytes += size(data);
      return super.send(data);
    }
  };

  // Cold start: note when the terminal appears and when its first prompt is in the buffer.
  const poll = setInterval(() => {
    const t = bench.term();
    if (!t) return;
    clearInterval(poll);
    bench.terminalAt = performance.now();
    bench.whenPrompt(120_000).then((at) => (bench.firstPromptAt = at), () => {});
  }, 5);
}
