#pragma once

#include "run_history.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>

// The saved runs the window draws over the live one: sessions opened from files, and the runs of
// the latest A/B comparison. GUI thread only.
class OverlayRuns : public QObject {
    Q_OBJECT
public:
    using Runs = QList<std::shared_ptr<const le::RunHistory>>;

    explicit OverlayRuns(QObject* parent = nullptr);

    // Loads the saved session at `path` and adds it; returns an empty string or the error shown to
    // the user. A run without a name of its own ("" or "live") is named after its file. An
    // HdrHistogram interval log (".hlog", or any file but .json that reads like one) adds one run
    // per tag (hlog_run.h), named after the file.
    QString open(const QString& path);
    static bool isIntervalLog(const QString& path);
    // Adds `run` as an overlay, as if opened from a file ("Keep as baseline").
    void add(std::shared_ptr<const le::RunHistory> run);
    // The runs of the latest A/B comparison, in place of the previous comparison's.
    void setComparison(const Runs& runs);
    // Removes every overlay: the opened sessions and the comparison.
    void clear();

    // Shifts in time, to line up an overlay with the live run: the percentiles over time draw
    // runs()[i] shifts()[i] seconds later (earlier when negative) than its own t = 0. Only the
    // drawing moves; the run's data stay as they are. 0 until set; an overlay keeps its shift
    // until it is removed.
    static constexpr double kMaxShift = 86400; // ±1 day
    QList<double> shifts() const;
    // Sets the shift of runs()[index]; returns an empty string or why it is refused (a bad index,
    // not finite, beyond ±kMaxShift), in which case nothing changes.
    QString setShift(int index, double seconds);
    // A shift as typed: "12", "-3.5", "+2 s"; returns an empty string and sets `seconds`, or why
    // it is refused (not a number, NaN or infinite). The range is setShift()'s to check.
    static QString parseShift(const QString& text, double& seconds);

    // Opened sessions in the order they were opened, then the comparison's runs: the order the
    // plots give them their colours in.
    Runs runs() const { return m_opened + m_comparison; }

signals:
    void changed(); // runs() is different: the plots need a redraw

private:
    QString openIntervalLog(const QString& path);
    // Forgets the shifts of runs that are no longer overlays.
    void dropStaleShifts();

    Runs m_opened;
    Runs m_comparison;
    QHash<const le::RunHistory*, double> m_shifts; // by run: a comparison's runs keep their place
};
