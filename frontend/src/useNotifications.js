import { useEffect, useState } from "react";

// The consumer closes a connection without a logged-in user with this code.
export const NOT_LOGGED_IN = 4401;

export function notificationsUrl(location = window.location) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/notifications/`;
}

// Opens the shop's notification socket while the component is mounted.
// Returns the events received so far (newest first) and the connection's status:
// "connecting", "connected", "closed" or "logged-out".
export function useNotifications(url = notificationsUrl()) {
  const [events, setEvents] = useState([]);
  const [status, setStatus] = useState("connecting");

  useEffect(() => {
    const socket = new WebSocket(url);
    socket.onopen = () => setStatus("connected");
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type !== "pong") setEvents((earlier) => [event, ...earlier]);
    };
    socket.onclose = (event) => setStatus(event.code === NOT_LOGGED_IN ? "logged-out" : "closed");

    // The cleanup. React runs it on unmount, and before running the effect again when `url`
    // changes. In development, <StrictMode> mounts, unmounts and mounts every component, so
    // this runs between two setups: without it, the page would keep two sockets open and
    // show every event twice.
    return () => {
      socket.onmessage = null;
      socket.onclose = null; // Closing it ourselves is not news for the status line.
      socket.close();
    };
  }, [url]);

  return { events, status };
}
