import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { Notifications } from "./Notifications.jsx";

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <h1>Live updates (React)</h1>
    <Notifications />
  </StrictMode>,
);
