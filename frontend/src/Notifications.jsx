import { useNotifications } from "./useNotifications.js";

const STATUS = {
  connecting: "Connecting…",
  connected: "Connected: waiting for events.",
  closed: "Disconnected. Reload the page to reconnect.",
  "logged-out": "Log in to see live updates.",
};

export function describe(event) {
  switch (event.type) {
    case "price.changed":
      return `${event.product}: ${event.old_price} → ${event.new_price}`;
    case "report.sent":
      return `The report for order #${event.order_id} is in your inbox.`;
    case "error":
      return `The server says: ${event.error}`;
    default:
      return `Unknown event: ${event.type}`;
  }
}

export function Notifications({ url }) {
  const { events, status } = useNotifications(url);
  return (
    <section>
      <p data-state={status}>{STATUS[status]}</p>
      <ul>
        {events.map((event, index) => (
          // Events are prepended, so count keys from the oldest: a key stays with its event.
          <li key={events.length - index}>{describe(event)}</li>
        ))}
      </ul>
    </section>
  );
}
