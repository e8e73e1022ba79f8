#pragma once

#include "run_history.h"

#include <QColor>
#include <QList>
#include <QString>

#include <memory>

// The runs a plot shows: the live one (may be empty) and saved runs overlaid for comparison.
// Histories are owned by the window and only touched on the GUI thread.
struct PlotRuns {
    std::shared_ptr<const le::RunHistory> live;
    QList<std::shared_ptr<const le::RunHistory>> overlays;
    // Seconds each overlay is drawn later (earlier when negative) on the percentiles' time axis,
    // index for index with overlays (missing = 0); the other plots have no time axis.
    QList<double> shifts{};
    double shift(qsizetype overlay) const { return shifts.value(overlay, 0.0); }
};

// An overlay's name as the plots over time show it: "run1", or "run1 (+12.0 s)" when shifted.
QString shiftedName(const QString& name, double shift_s);

// One histogram to draw: the live run's rolling window or whole run, and each overlay's whole run.
// Runs without samples are left out, so every series has something to show.
struct HistogramSeries {
    QString name;
    QColor colour;
    const le::Histogram* histogram = nullptr;
    bool live = false;
};
QList<HistogramSeries> histogramSeries(const PlotRuns& runs, bool wholeRun);

// How every live plot and the readout name the sliding window they show: "last 1 s", "last 100 ms".
QString windowText(double seconds);
