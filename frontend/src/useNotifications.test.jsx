import { act, cleanup, render, screen } from "@testing-library/react";
import { StrictMode } from "react";
import { afterEach, beforeEach, expect, test, vi } from "vitest";

import { Notifications } from "./Notifications.jsx";

// A stand-in for the browser's WebSocket that remembers every socket opened.
class FakeWebSocket {
  static opened = [];

  constructor(url) {
    this.url = url;
    this.closed = false;
    FakeWebSocket.opened.push(this);
  }

  close() {
    this.closed = true;
  }

  receive(frame) {
    act(() => this.onmessage?.({ data: JSON.stringify(frame) }));
  }
}

const URL = "ws://shop.test/ws/notifications/";

beforeEach(() => {
  FakeWebSocket.opened = [];
  vi.stubGlobal("WebSocket", FakeWebSocket);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

test("StrictMode runs the effect twice: the cleanup closes the first socket", () => {
  render(
    <StrictMode>
      <Notifications url={URL} />
    </StrictMode>,
  );

  // Setup, cleanup, setup: two sockets were opened, and only the second is still open.
  expect(FakeWebSocket.opened.map((socket) => socket.closed)).toEqual([true, false]);
});

test("unmounting closes the socket", () => {
  const { unmount } = render(<Notifications url={URL} />);
  unmount();

  expect(FakeWebSocket.opened.map((socket) => socket.closed)).toEqual([true]);
});

test("an event shows once, newest first, even under StrictMode", () => {
  render(
    <StrictMode>
      <Notifications url={URL} />
    </StrictMode>,
  );
  const socket = FakeWebSocket.opened.at(-1);

  socket.receive({ type: "report.sent", order_id: 7 });
  socket.receive({
    type: "price.changed",
    product_id: 1,
    product: "Mug",
    old_price: "9.50",
    new_price: "10.00",
  });

  expect(screen.getAllByRole("listitem").map((item) => item.textContent)).toEqual([
    "Mug: 9.50 → 10.00",
    "The report for order #7 is in your inbox.",
  ]);
});

test("a closed connection for an anonymous user asks to log in", () => {
  render(<Notifications url={URL} />);

  act(() => FakeWebSocket.opened[0].onclose({ code: 4401 }));

  expect(screen.getByText("Log in to see live updates.")).toBeTruthy();
});
