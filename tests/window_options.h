#pragma once

// The window as the GUI suites start it: its own latency-pong child over TCP (or `transport`),
// blocking engines, 1k msg/s of 64 B and no compute tasks, so runs are quiet and comparable.
#include "main_window.h"

inline WindowOptions childPeerOptions(le::Transport transport = le::Transport::Tcp, bool autoStart = true) {
    WindowOptions o;
    o.transport = transport;
    o.engine = le::EngineKind::Blocking;
    o.rate = QStringLiteral("1k");
    o.payload = QStringLiteral("64");
    o.tasks = QStringLiteral("0");
    o.autoStart = autoStart;
    return o;
}
