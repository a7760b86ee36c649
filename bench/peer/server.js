// The reference a team might pick instead of us: a bare Node.js socket.io server with the /live protocol's shape.
// `watch` joins the dashboards' room and acks an empty snapshot; `check_in` takes the next seq and emits one
// `events` message per check-in to the dashboards and to the sender. No database, no auth, no coalescing.
// Usage: node server.js PORT [never|always]
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const deflate = process.argv[3] === "always";
const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.setHeader("Content-Type", "application/json");
    res.end('{"status": "ok"}');
  } else {
    res.statusCode = 404;
    res.end();
  }
});
const io = new Server(httpServer, { perMessageDeflate: deflate ? { threshold: 0 } : false });
const live = io.of("/live");
let seq = 0;

live.on("connection", (socket) => {
  const auth = socket.handshake.auth || {};
  socket.on("watch", (message, ack) => {
    if (auth.kind === "dashboard") socket.join("dashboards");
    const briefingId = message && message.briefing_id;
    ack({ ok: true, seq, snapshot: { briefing_id: briefingId, seq, endpoints: [], records: [] } });
  });
  socket.on("check_in", (message, ack) => {
    seq += 1;
    const event = {
      seq,
      type: "attendance",
      briefing_id: message.briefing_id,
      person_id: message.person_id,
      endpoint_id: auth.endpoint_id === undefined ? null : auth.endpoint_id,
      status: message.status,
      note: "",
      substitute_name: "",
      recorded_at: new Date().toISOString(),
      recorded_by: "bench",
      via: "operator",
    };
    const payload = { briefing_id: message.briefing_id, events: [event] };
    live.to("dashboards").emit("events", payload);
    socket.emit("events", payload);
    ack({ ok: true, seq, replayed: false });
  });
});

httpServer.listen(port, "127.0.0.1");
