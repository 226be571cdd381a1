/**
 * The usage examples of EspruinoDocs modules/ws.md, as sketches written for Espruino's `ws`
 * module, for the tests of its drop-in (dist/<board>/ws.js): on the simulated board
 * (ws-compat.test.ts) and on a real interpreter (ws-compat-real.test.ts).
 */

/** The example of EspruinoDocs modules/ws.md ("WebSocket Client"), only host and port changed. */
export function docsExample(port: number): string {
  return `var host = "127.0.0.1";
var WebSocket = require("ws");
    var ws = new WebSocket(host,{
      path: '/',
      port: ${port}, // default is 80
      protocol : "echo-protocol", // websocket protocol name (default is none)
      protocolVersion: 13, // websocket protocol version, default is 13
      origin: 'Espruino',
      keepAlive: 60,
      headers:{ some:'header', 'ultimate-question':42 } // websocket headers to be used e.g. for auth (default is none)
    });

ws.on('open', function() {
  console.log("Connected to server");
});

ws.on('message', function(msg) {
  console.log("MSG: " + msg);
});
`;
}

/** ws.md "Available callbacks", unmodified. */
export const DOCS_CALLBACKS = `ws.on('open', function() {
  // For WebSocket clients only
  console.log("Connected to server");
});

ws.on('message', function(msg) {
  console.log("MSG: " + msg);
});

ws.on('close', function() {
  console.log("Connection closed");
});

ws.on('handshake', function() {
  console.log("Handshake Success");
});

ws.on('ping', function() {
  console.log("Got a ping");
});

ws.on('pong', function() {
  console.log("Got a pong");
});

ws.on('rawData', function(msg) {
  console.log("RAW: " + msg);
});
`;

/** ws.md "Sending a Message", typed at the board's console once the connection is open. */
export const DOCS_SEND = 'ws.send("hello world");';

/** What the example prints up to the fragmented message, on any board (each line twice where the sketch logs twice). */
export const EXAMPLE_OPENING_LINES = [
  'Handshake Success',
  'Connected to server',
  'Connected to server',
  'MSG: Hello Espruino €',
  'MSG: Hello Espruino €',
  'Got a ping',
  'Got a pong',
  'MSG: fragmented €',
  'MSG: fragmented €',
];
