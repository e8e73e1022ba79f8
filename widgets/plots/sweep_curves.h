#pragma once

#include "sweep_result.h"

#include <QList>
#include <QString>

#include <cstdint>
#include <memory>

// A sweep to draw, with the name its series carry in the legend when several are overlaid.
struct SweepData {
    QString name; // "" for the sweep being measured
    std::shared_ptr<const le::SweepFile> file;
};

// One curve of the sweep figure: a series' points, repetitions merged, ordered by achieved rate.
struct SweepCurvePoint {
    double target_rate = 0;
    double achieved_rate = 0; // mean over repetitions
    le::Histogram rtt;        // merged over repetitions
    std::uint64_t received = 0;
};
struct SweepCurve {
    QString name; // legend text: "blocking/tcp/0 tasks", "ICMP (system ping)", with the sweep's name
    bool icmp = false;
    int sweep = 0;                // index into the SweepData list
    le::SweepPointResult example; // engine, transport, tasks, payload of the series
    QList<SweepCurvePoint> points;
};
// Groups the successful points of `sweeps` into curves, in the order their series first appear.
// Parts of the label every curve shares (one payload, one engine) are left out, so the legend
// names only what varies.
QList<SweepCurve> sweepCurves(const QList<SweepData>& sweeps);

// "p50", "p99.9", "max" (p >= 100).
QString percentileName(double p);
