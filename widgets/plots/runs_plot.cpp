#include "runs_plot.h"

void RunsPlot::setRuns(const PlotRuns& runs) {
    m_runs = runs;
}

void RunsPlot::setAutoRange(bool on) {
    if (on == m_autoRange)
        return;
    m_autoRange = on;
    emit autoRangeChanged(on);
    if (on)
        refresh();
}

void RunsPlot::resetAxes() {
    if (!m_autoRange)
        setAutoRange(true); // refreshes
    else
        refresh();
}

void RunsPlot::watchUserRange() {
    const auto userMoved = [this] {
        if (!m_settingOwnRange)
            setAutoRange(false);
    };
    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, userMoved);
    connect(yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, userMoved);
}

void RunsPlot::setOwnRange(QCPAxis* axis, double lower, double upper) {
    m_settingOwnRange = true;
    axis->setRange(lower, upper);
    m_settingOwnRange = false;
}

void HistogramRunsPlot::setWholeRun(bool wholeRun) {
    if (wholeRun == m_wholeRun)
        return;
    m_wholeRun = wholeRun;
    refresh();
}
