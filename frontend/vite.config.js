import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the React client on http://localhost:5173 and passes the WebSocket
// and every Django URL (log in at http://localhost:5173/login/) to `runserver` on port 8000,
// so the session cookie and the Origin check work as on the real site.
const django = "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/ws": { target: django, ws: true },
      "^/(login|logout|admin|static|live)": django,
    },
  },
  test: {
    environment: "jsdom",
  },
});
