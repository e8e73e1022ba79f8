#pragma once

#include "plot_base.h"
#include "plot_runs.h"

// The base of the live plots (RTT histogram, percentile distribution, percentiles over time): they
// draw the live run and the overlays, and choose their own axis ranges ("auto range"; for the
// percentiles over time that means following the newest data) until the user drags or zooms.
class RunsPlot : public PlotBase {
    Q_OBJECT
    Q_PROPERTY(bool autoRange READ autoRange WRITE setAutoRange NOTIFY autoRangeChanged)
public:
    // The runs drawn from the next refresh() on.
    virtual void setRuns(const PlotRuns& runs);

    // True while the plot chooses its axis ranges; the user's first drag or zoom turns it off.
    bool autoRange() const { return m_autoRange; }
    // Turning it on refreshes the plot with its own ranges again; both directions emit
    // autoRangeChanged() when they change something.
    void setAutoRange(bool on);

public slots:
    // Auto range on again, with the ranges recomputed (refreshes the plot).
    void resetAxes();

signals:
    void autoRangeChanged(bool on);

protected:
    using PlotBase::PlotBase;

    const PlotRuns& runs() const { return m_runs; }
    // Call at the end of the constructor, once the axes have their initial ranges: from then on a
    // range change not made through setOwnRange() is the user's and turns auto range off.
    void watchUserRange();
    // Sets `axis` to [lower, upper] as the plot's own choice, which leaves auto range on.
    void setOwnRange(QCPAxis* axis, double lower, double upper);

private:
    PlotRuns m_runs;
    bool m_autoRange = true;
    bool m_settingOwnRange = false;
};

// The live plots that draw each run's histogram (the RTT histogram and the percentile distribution):
// the live run's rolling window (the last few intervals) or its whole run; overlays always show
// their whole run.
class HistogramRunsPlot : public RunsPlot {
    Q_OBJECT
public:
    // Whole run or rolling window for the live run; refreshes the plot when that changes.
    void setWholeRun(bool wholeRun);

protected:
    using RunsPlot::RunsPlot;

    // The series to draw, in legend order: the live run's first, then the overlays'.
    QList<HistogramSeries> series() const { return histogramSeries(runs(), m_wholeRun); }

private:
    bool m_wholeRun = false;
};
