#pragma once

#include <QString>

namespace le {
class RunHistory;
}

// The conditions block every export carries, so a picture on a slide says what was measured: a
// title line and one line of engine, transport, peer, rate achieved/target, payload, tasks, loop,
// window, host, date and version.
struct ExportConditions {
    QString title; // "Latency Explorer — live" or the saved run's name
    QString line;  // "engine blocking · transport tcp · peer tcp://… · rate 1k of 1k msg/s · …"
    bool isEmpty() const { return title.isEmpty() && line.isEmpty(); }
};

// The conditions of `run` as its info (engine, transport, peer, loop, host, started, and the
// measured threads' "nice" where it is not 0) and its interval records (rate, payload, tasks) say; `window`
// is what the plots show ("last 60 s"). Items the run does not know are left out rather than guessed.
// `version` is the application's.
ExportConditions conditionsOf(const le::RunHistory& run, const QString& window, const QString& version);
