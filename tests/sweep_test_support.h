#pragma once

// What the sweep suites share: a finished point with known figures, and a grid small enough to
// run in a test.
#include "sweep_runner.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <set>

using namespace le;

inline const QString kPing = QStringLiteral(LE_PING_PATH);

inline SweepPointResult fakePoint(std::string key, double rate, double achieved, std::int64_t base_ns) {
    SweepPointResult p;
    p.key = std::move(key);
    p.transport = "udp";
    p.engine = "asio";
    p.tasks = 10;
    p.payload = 64;
    p.target_rate = rate;
    p.achieved_rate = achieved;
    p.duration_s = 1.5;
    p.sent = 1000;
    p.received = 998;
    p.lost = 2;
    p.cpu_percent = 42.5;
    for (int i = 0; i < 998; ++i)
        p.rtt.record(base_ns + i * 37);
    p.finished_at_s = 3.25;
    return p;
}

inline SweepSpec shortSpec() {
    SweepSpec s;
    s.rates = {200, kRateInf};
    s.transports = {Transport::Tcp};
    s.duration = 300 * kNanosPerMilli;
    s.warmup = 100 * kNanosPerMilli;
    s.icmp = false;
    return s;
}
