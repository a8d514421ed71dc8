/*
 * The two articles' browser clients, as they describe them (../shared/SEED-CLAIMS.md), loaded by the lab's test page
 * as a plain script. Each is wrapped in a function (lab: so the lab can call it, with the server's URL where the
 * article's code names one, and watch the EventSource it returns beside the article's handlers); the body between
 * BEGIN and END is the article's. Both handlers log to the console, as an article's example does. Below them, each
 * client corrected (what the scenario's records showed missing), run the same way.
 */

/** Article A: event-source-polyfill's `NativeEventSource || EventSourcePolyfill`, with credentials, to its https server. */
// biome-ignore lint/correctness/noUnusedVariables: a global, called by name from lab-page.js (lab.articleClient)
function articleAClient(url) {
  // BEGIN article-a-client
  var EventSource = NativeEventSource || EventSourcePolyfill;
  var es = new EventSource(url, { withCredentials: true, format: 'json' });
  es.addEventListener('message', (event) => {
    console.log(JSON.parse(event.data));
  });
  // END article-a-client
  return es;
}

/** Article B: `new EventSource('/sse')` on the page its server serves, with an `onmessage` handler. */
// biome-ignore lint/correctness/noUnusedVariables: a global, called by name from lab-page.js (lab.articleClient)
function articleBClient() {
  // BEGIN article-b-client
  var es = new EventSource('/sse');
  es.onmessage = (event) => {
    console.log(JSON.parse(event.data));
  };
  // END article-b-client
  return es;
}

/** Article A's client, corrected: native EventSource, which has withCredentials in every current browser. */
// biome-ignore lint/correctness/noUnusedVariables: a global, called by name from lab-page.js (lab.articleClient)
function articleACorrected(url) {
  // BEGIN article-a-corrected-client
  var es = new EventSource(url, { withCredentials: true });
  es.addEventListener('message', (event) => {
    console.log(JSON.parse(event.data));
  });
  // END article-a-corrected-client
  return es;
}

/** Article B's client, corrected: a listener for the event name its server writes. */
// biome-ignore lint/correctness/noUnusedVariables: a global, called by name from lab-page.js (lab.articleClient)
function articleBCorrected() {
  // BEGIN article-b-corrected-client
  var es = new EventSource('/sse');
  es.addEventListener('server-time', (event) => {
    console.log(JSON.parse(event.data));
  });
  // END article-b-corrected-client
  return es;
}
