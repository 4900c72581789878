// The /live/ page: one WebSocket to /ws/notifications/, each event shown as it arrives.
// Plain JavaScript (a module, so strict and deferred), no build step. It reconnects after a
// drop, waiting longer each time.

const NOT_LOGGED_IN = 4401; // The consumer's close code for a visitor without a session.
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 10000;

const statusLine = document.getElementById("status");
const eventList = document.getElementById("events");
let retryMs = FIRST_RETRY_MS;

function describe(event) {
  switch (event.type) {
    case "price.changed":
      return `${event.product}: ${event.old_price} → ${event.new_price}`;
    case "report.sent":
      return `The report for order #${event.order_id} is in your inbox.`;
    case "error":
      return `The server says: ${event.error}`;
    default:
      return null; // "pong", or a type this page does not know yet.
  }
}

function show(event) {
  const text = describe(event);
  if (text === null) return;
  const item = document.createElement("div");
  item.className = event.type === "error" ? "event error" : "event";
  item.dataset.type = event.type;
  item.textContent = text; // Text, never innerHTML: a product name is not markup.
  eventList.prepend(item);
}

function setStatus(state, text) {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/notifications/`);

  socket.addEventListener("open", () => {
    retryMs = FIRST_RETRY_MS;
    setStatus("connected", "Connected: waiting for events.");
  });
  socket.addEventListener("message", (message) => show(JSON.parse(message.data)));
  socket.addEventListener("close", (event) => {
    if (event.code === NOT_LOGGED_IN) {
      setStatus("closed", "Log in again to see live updates.");
      return; // Reconnecting would be refused again.
    }
    setStatus("reconnecting", `Disconnected: reconnecting in ${retryMs / 1000} s…`);
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  });
}

connect();
