/*
 * The browser side of the scenarios, loaded by the test page as a plain script (never bundled, so
 * what runs in Chromium is exactly this text). It opens EventSources, WebSockets and socket.io
 * clients by name and logs what they report into `lab.log` with epoch-ms times; the Node side reads
 * that log with page.evaluate. It decides nothing: it only records.
 */
(() => {
  var log = [];
  var handles = new Map();
  var now = () => performance.timeOrigin + performance.now();
  function mark(source, type, detail) {
    log.push({ t: now(), source: source, type: type, detail: detail || {} });
  }
  /** A quote's seq and publish stamp (`ts`, epoch ms on the server's clock, the same host's) from its JSON text, or nulls. */
  function quoteOf(text) {
    try {
      var value = JSON.parse(text);
      return { seq: typeof value.seq === 'number' ? value.seq : null, ts: typeof value.ts === 'number' ? value.ts : null };
    } catch (_error) {
      return { seq: null, ts: null };
    }
  }

  /** Native EventSource (or the polyfill with options.polyfill); logs open/error/message and each named event in options.listen. */
  function eventSource(name, url, options) {
    options = options || {};
    var Ctor = options.polyfill ? window.EventSourcePolyfill : window.EventSource;
    var es = new Ctor(url, options.init || {});
    handles.set(name, es);
    es.onopen = () => {
      mark(name, 'open', { readyState: es.readyState });
    };
    es.onerror = (event) => {
      mark(name, 'error', { readyState: es.readyState, status: event && event.status !== undefined ? event.status : null });
    };
    es.onmessage = (event) => {
      mark(name, 'message', { data: String(event.data).slice(0, 120), lastEventId: event.lastEventId });
    };
    (options.listen || ['quote', 'reset']).forEach((type) => {
      es.addEventListener(type, (event) => {
        var quote = quoteOf(event.data);
        mark(name, type, { seq: quote.seq, ts: quote.ts, lastEventId: event.lastEventId, data: String(event.data).slice(0, 120) });
      });
    });
    return es.readyState;
  }

  /**
   * Runs one of the articles' clients as written (scenarios/articles/article-clients.js: a global function returning its
   * EventSource) and logs open, error, message and each named event in `listen` through listeners of its own, beside
   * the article's handler. With `polyfill` the page acts as a browser without a native EventSource while the client
   * is built (the global EventSource and the polyfill's NativeEventSource hidden), so the article's code gets
   * event-source-polyfill. Returns which constructor the article's code ended up with.
   */
  function articleClient(name, fn, args, options) {
    options = options || {};
    var saved = { EventSource: window.EventSource, NativeEventSource: window.NativeEventSource };
    if (options.polyfill) {
      window.EventSource = window.EventSourcePolyfill;
      window.NativeEventSource = undefined;
    }
    var es;
    try {
      es = window[fn].apply(null, args || []);
    } finally {
      window.EventSource = saved.EventSource;
      window.NativeEventSource = saved.NativeEventSource;
    }
    handles.set(name, es);
    ['open', 'error', 'message'].concat(options.listen || []).forEach((type) => {
      es.addEventListener(type, (event) => {
        mark(name, type, {
          readyState: es.readyState,
          lastEventId: typeof event.lastEventId === 'string' ? event.lastEventId : null,
          data: typeof event.data === 'string' ? event.data.slice(0, 120) : null,
        });
      });
    });
    return es instanceof window.EventSourcePolyfill ? 'EventSourcePolyfill' : 'EventSource';
  }

  /** A raw browser WebSocket; logs open, close (code, wasClean), error and each quote's seq. */
  function webSocket(name, url) {
    var socket = new WebSocket(url);
    handles.set(name, socket);
    socket.onopen = () => {
      mark(name, 'open', { readyState: socket.readyState });
    };
    socket.onerror = () => {
      mark(name, 'error', { readyState: socket.readyState });
    };
    socket.onclose = (event) => {
      mark(name, 'close', { code: event.code, wasClean: event.wasClean, reason: event.reason, readyState: socket.readyState });
    };
    socket.onmessage = (event) => {
      var quote = typeof event.data === 'string' ? quoteOf(event.data) : { seq: null, ts: null };
      mark(name, 'message', {
        seq: quote.seq,
        ts: quote.ts,
        data: typeof event.data === 'string' ? event.data.slice(0, 120) : '(binary)',
      });
    };
    return socket.readyState;
  }

  // BEGIN sse-reconnect: the same job with EventSource, which reconnects and resumes (Last-Event-ID)
  // by itself. Counted by scenarios/reconnect.ts beside raw-ws-reconnect; the SSE drop cases run it.
  function reconnectingEventSource(url, handlers) {
    var source = new EventSource(url);
    source.onopen = handlers.onOpen;
    source.onerror = handlers.onError;
    source.addEventListener('quote', (event) => {
      handlers.onQuote(JSON.parse(event.data), event.lastEventId);
    });
    return source;
  }
  // END sse-reconnect

  function resumingEventSource(name, url) {
    var source = reconnectingEventSource(url, {
      onOpen: () => {
        mark(name, 'open', { readyState: source.readyState });
      },
      onError: () => {
        mark(name, 'error', { readyState: source.readyState });
      },
      onQuote: (quote, lastEventId) => {
        mark(name, 'quote', { seq: quote.seq, lastEventId: lastEventId });
      },
    });
    handles.set(name, source);
    return source.readyState;
  }

  // BEGIN raw-ws-reconnect: the code a raw WebSocket client must write to reconnect and resume
  // (EventSource does both by itself). Counted by scenarios/reconnect.ts.
  function reconnectingWebSocket(url, handlers, delayMs) {
    var lastSeq = 0;
    var stopped = false;
    var socket;
    var timer;
    function open() {
      var target = new URL(url);
      if (lastSeq > 0) target.searchParams.set('since', String(lastSeq));
      socket = new WebSocket(target);
      socket.onopen = handlers.onOpen;
      socket.onmessage = (event) => {
        var message = JSON.parse(event.data);
        if (typeof message.seq === 'number') {
          lastSeq = message.seq;
          handlers.onQuote(message);
        }
      };
      socket.onclose = (event) => {
        handlers.onClose(event);
        if (!stopped) timer = setTimeout(open, delayMs);
      };
    }
    open();
    return {
      close: () => {
        stopped = true;
        clearTimeout(timer);
        socket.close();
      },
    };
  }
  // END raw-ws-reconnect

  function resumingWebSocket(name, url, delayMs) {
    var client = reconnectingWebSocket(
      url,
      {
        onOpen: () => {
          mark(name, 'open', {});
        },
        onQuote: (quote) => {
          mark(name, 'message', { seq: quote.seq });
        },
        onClose: (event) => {
          mark(name, 'close', { code: event.code, wasClean: event.wasClean });
        },
      },
      delayMs,
    );
    handles.set(name, client);
  }

  /**
   * The socket.io browser client (served from socket.io-client/dist); logs connect (recovered,
   * transport), disconnect, connect_error, quotes.
   */
  function socketIo(name, url, options) {
    var socket = window.io(url, Object.assign({ forceNew: true }, options || {}));
    handles.set(name, socket);
    socket.on('connect', () => {
      mark(name, 'open', { recovered: socket.recovered, transport: socket.io.engine.transport.name });
    });
    socket.on('disconnect', (reason) => {
      mark(name, 'close', { reason: reason });
    });
    socket.on('connect_error', (error) => {
      mark(name, 'error', { message: String(error?.message) });
    });
    socket.io.on('reconnect_attempt', (attempt) => {
      mark(name, 'reconnect_attempt', { attempt: attempt });
    });
    // Each engine.io connection probes for an upgrade right after it opens (the manager's `open` comes first):
    // `upgrading` when the probe got its pong, `upgrade` once switched, `upgrade-error` when it failed (a proxy
    // that drops Upgrade). Listened for here, not on `connect`: the upgrade can finish before socket.io's CONNECT.
    socket.io.on('open', () => {
      var engine = socket.io.engine;
      engine.on('upgrading', (transport) => {
        mark(name, 'upgrading', { transport: transport.name });
      });
      engine.on('upgrade', (transport) => {
        mark(name, 'upgrade', { transport: transport.name });
      });
      engine.on('upgradeError', (error) => {
        mark(name, 'upgrade-error', { message: String(error?.message), transport: String(error?.transport) });
      });
    });
    socket.on('quote', (quote) => {
      var known = quote && typeof quote === 'object';
      mark(name, 'message', {
        seq: known && typeof quote.seq === 'number' ? quote.seq : null,
        ts: known && typeof quote.ts === 'number' ? quote.ts : null,
      });
    });
    socket.on('hello', (data) => {
      mark(name, 'message', { data: String(data).slice(0, 120) });
    });
  }

  /** The engine.io transport a socket.io client is on now (`polling`, `websocket`), or null for another handle. */
  function transportName(name) {
    var handle = handles.get(name);
    var transport = handle?.io?.engine?.transport;
    return transport ? transport.name : null;
  }

  function readyState(name) {
    var handle = handles.get(name);
    return handle && typeof handle.readyState === 'number' ? handle.readyState : null;
  }

  function close(name) {
    var handle = handles.get(name);
    if (!handle) return;
    if (typeof handle.close === 'function') handle.close();
    else if (typeof handle.disconnect === 'function') handle.disconnect();
    handles.delete(name);
  }

  /** A fetch that gives up after timeoutMs: resolves {status} or {error}, never rejects. */
  function probeFetch(url, timeoutMs, init) {
    var started = now();
    return fetch(url, Object.assign({ signal: AbortSignal.timeout(timeoutMs) }, init || {})).then(
      (response) => response.text().then((body) => ({ status: response.status, ms: now() - started, body: body.slice(0, 200) })),
      (error) => ({ error: `${String(error?.name)}: ${String(error?.message)}`, ms: now() - started }),
    );
  }

  // ---- binary ----

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  function concat(chunks) {
    var total = chunks.reduce((sum, c) => sum + c.byteLength, 0);
    var out = new Uint8Array(total);
    var offset = 0;
    chunks.forEach((c) => {
      out.set(c, offset);
      offset += c.byteLength;
    });
    return out;
  }
  function fromBase64(text) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  /**
   * Receives `count` binary payloads over one transport and resolves the bytes, their SHA-256 and
   * each message's decode time (base64 text -> bytes, ArrayBuffer -> view, or UTF-8 text -> bytes
   * for raw bytes sent as SSE text). kind: sse-base64 | sse-raw | ws | socketio. SSE streams end
   * with an `event: done`; the others end at `count` messages.
   */
  function receiveBinary(kind, url, count, waitMs, auth) {
    return new Promise((resolve) => {
      var chunks = [];
      var decodeMs = [];
      var replacementChars = 0;
      var handle;
      var settled = false;
      function finish(extra) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (handle) handle.close ? handle.close() : handle.disconnect();
        var all = concat(chunks);
        crypto.subtle.digest('SHA-256', all).then((digest) => {
          resolve(
            Object.assign(
              {
                messages: chunks.length,
                bytes: all.byteLength,
                sha256: hex(digest),
                decodeMs: decodeMs,
                replacementChars: replacementChars,
                base64Decoder: typeof Uint8Array.fromBase64 === 'function' ? 'Uint8Array.fromBase64' : 'atob',
              },
              extra || {},
            ),
          );
        });
      }
      var timer = setTimeout(() => {
        finish({ timedOut: true });
      }, waitMs);
      function got(bytes, started) {
        decodeMs.push(performance.now() - started);
        chunks.push(bytes);
        // Raw text can split or merge events, so SSE waits for the server's `done` event instead of counting.
        if (kind !== 'sse-raw' && kind !== 'sse-base64' && chunks.length >= count) finish({});
      }
      if (kind === 'sse-base64' || kind === 'sse-raw') {
        handle = new EventSource(url);
        handle.onmessage = (event) => {
          var started = performance.now();
          if (kind === 'sse-base64') return got(fromBase64(event.data), started);
          replacementChars += (event.data.match(/\uFFFD/g) || []).length;
          got(new TextEncoder().encode(event.data), started);
        };
        handle.addEventListener('done', () => {
          finish({});
        });
      } else if (kind === 'ws') {
        handle = new WebSocket(url);
        handle.binaryType = 'arraybuffer';
        handle.onmessage = (event) => {
          var started = performance.now();
          got(new Uint8Array(event.data), started);
        };
      } else {
        handle = window.io(url, { forceNew: true, transports: ['websocket'], reconnection: false, auth: auth || {} });
        handle.on('payload', (data) => {
          var started = performance.now();
          got(new Uint8Array(data), started);
        });
        handle.on('connect', () => {
          handle.emit('ready'); // the server counts bytes from here: its CONNECT packet has arrived
        });
      }
    });
  }

  // ---- direction: client-to-server round trips ----

  /**
   * Opens a round-trip channel: a WebSocket (ping message -> pong), a socket.io socket (emit with
   * ack; websocket transport), or plain fetch POSTs to /sse/ping (SSE has no upstream). Resolves when ready.
   * Each round trip calls done(null) on its answer, or done(error) on a failure or after tripMs.
   */
  function pinger(name, kind, url, tripMs) {
    return new Promise((resolve, reject) => {
      if (kind === 'ws') {
        var socket = new WebSocket(url);
        var pending = null;
        socket.onmessage = (event) => {
          var message = JSON.parse(event.data);
          if (message.type === 'pong' && pending) pending(null);
        };
        socket.onerror = () => {
          reject(new Error('WebSocket failed'));
        };
        socket.onopen = () => {
          resolve(true);
        };
        handles.set(name, {
          close: () => {
            socket.close();
          },
          once: (done) => {
            var timer = setTimeout(() => {
              pending = null;
              done(new Error(`no pong within ${tripMs} ms`));
            }, tripMs);
            pending = (error) => {
              clearTimeout(timer);
              pending = null;
              done(error);
            };
            socket.send(JSON.stringify({ type: 'ping', t: now() }));
          },
        });
      } else if (kind === 'socketio') {
        var io = window.io(url, { forceNew: true, transports: ['websocket'], reconnection: false });
        io.on('connect', () => {
          resolve(true);
        });
        io.on('connect_error', reject);
        handles.set(name, {
          close: () => {
            io.disconnect();
          },
          once: (done) => {
            io.timeout(tripMs).emit('ping', { t: now() }, (error) => {
              done(error || null);
            });
          },
        });
      } else {
        handles.set(name, {
          close: () => {},
          once: (done) => {
            fetch(url, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ t: now() }),
              signal: AbortSignal.timeout(tripMs),
            })
              .then((response) => {
                if (!response.ok) throw new Error(`HTTP ${response.status}`);
                return response.json();
              })
              .then(
                () => {
                  done(null);
                },
                (error) => {
                  done(error || new Error('fetch failed'));
                },
              );
          },
        });
        resolve(true);
      }
    });
  }

  /** `n` sequential round trips on a pinger; resolves { rtts: times in ms of those answered, failed: those not }. */
  function ping(name, n) {
    var handle = handles.get(name);
    var rtts = [];
    var failed = 0;
    return new Promise((resolve) => {
      var next = () => {
        if (rtts.length + failed === n) return resolve({ rtts: rtts, failed: failed });
        var started = performance.now();
        handle.once((error) => {
          if (error) failed++;
          else rtts.push(performance.now() - started);
          next();
        });
      };
      next();
    });
  }

  /** Whether the page's EventSource and WebSocket objects have a send method at all. */
  function apiShape() {
    return { eventSourceSend: typeof EventSource.prototype.send, webSocketSend: typeof WebSocket.prototype.send };
  }

  // ---- lifecycle: the page's own account of being hidden, frozen, resumed, or stored in the back/forward cache ----

  // Registered as the script runs, before the load, so the first pageshow (persisted false) is logged too. A page
  // restored from the back/forward cache keeps this log; a page loaded again starts a new one.
  window.addEventListener('pageshow', (event) => {
    mark('page', 'pageshow', { persisted: event.persisted });
  });
  window.addEventListener('pagehide', (event) => {
    mark('page', 'pagehide', { persisted: event.persisted });
  });
  document.addEventListener('freeze', () => {
    mark('page', 'freeze', {});
  });
  document.addEventListener('resume', () => {
    mark('page', 'resume', {});
  });
  document.addEventListener('visibilitychange', () => {
    mark('page', 'visibilitychange', { state: document.visibilityState });
  });

  window.lab = {
    log: log,
    now: now,
    eventSource: eventSource,
    articleClient: articleClient,
    webSocket: webSocket,
    resumingWebSocket: resumingWebSocket,
    resumingEventSource: resumingEventSource,
    socketIo: socketIo,
    readyState: readyState,
    transportName: transportName,
    close: close,
    probeFetch: probeFetch,
    receiveBinary: receiveBinary,
    pinger: pinger,
    ping: ping,
    apiShape: apiShape,
  };
})();
