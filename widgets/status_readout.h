#pragma once

#include "run_history.h"

#include <QObject>

class QLabel;
class QStatusBar;

// The live figures at the right of the status bar: achieved and target rate, payload throughput,
// message counts, the latest percentiles, CPU use and placement, elapsed time. The status bar's
// left part stays free for messages.
class StatusReadout : public QObject {
    Q_OBJECT
public:
    // Adds the figures to `bar` as permanent widgets (the bar owns them).
    StatusReadout(QStatusBar* bar, QObject* parent);

    // Shows the `latest` interval record of `history` and the run's totals; with no record yet
    // (`latest` null) only the elapsed time. `history` is read only when `latest` is set.
    void show(const le::IntervalRecord* latest, const le::RunHistory* history, double elapsedSeconds);

private:
    QLabel* m_rate;
    QLabel* m_throughput;
    QLabel* m_counts;
    QLabel* m_percentiles;
    QLabel* m_cpu;
    QLabel* m_elapsed;
};
