#pragma once

#include "run_history.h"

#include <QObject>

class QLabel;
class QStatusBar;

// The live figures at the right of the status bar, all of the same sliding window the histogram
// shows and saying which ("last 1 s"): received rate against the target, payload throughput,
// percentiles; then the run's counts (running totals: O(1) per refresh), CPU use and placement,
// elapsed time. Once the data stops it says so ("stopped", "peer lost") rather than look live.
// The status bar's left part stays free for messages; while one shows, throughput, counts and CPU
// make way for it (they come back when it goes).
class StatusReadout : public QObject {
    Q_OBJECT
public:
    // Adds the figures to `bar` as permanent widgets (the bar owns them).
    StatusReadout(QStatusBar* bar, QObject* parent);

    // Shows `history`'s window and totals (null or empty: only the elapsed time). `flowing`: records
    // are arriving; otherwise `state` ("stopped", "peer lost") leads and the window is the last one
    // before the data stopped.
    void show(const le::RunHistory* history, bool flowing, const QString& state, double elapsedSeconds);

    // "850 ns", "42.1 µs", "1.25 ms": the unit chosen by magnitude.
    static QString latency(double us);
    // Bits per second: "640 kb/s", "51.2 Mb/s", "1.6 Gb/s".
    static QString bitRate(double bitsPerSecond);

private:
    // Sets `label`'s text, keeping its size fixed (see the definition).
    static void setFigure(QLabel* label, const QString& text);

    QLabel* m_state;
    QLabel* m_rate;
    QLabel* m_throughput;
    QLabel* m_percentiles;
    QLabel* m_counts;
    QLabel* m_cpu;
    QLabel* m_lag; // the instrument's send lag, and SATURATED when the record says so
    QLabel* m_elapsed;
};
