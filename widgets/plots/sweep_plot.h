#pragma once

#include "plot_base.h"
#include "sweep_curves.h"

// What both sweep figures share: the sweeps they draw, the percentile their lines follow, a log RTT
// axis and a legend above. A sweep does not change between calls, so a figure redraws only after
// one of its inputs changed.
class SweepFigure : public PlotBase {
    Q_OBJECT
public:
    // Drawn at the next refresh().
    void setSweeps(const QList<SweepData>& sweeps);
    // 50, 90, 99, 99.9 or 100 (max); redraws now.
    void setLinePercentile(double p);

protected:
    explicit SweepFigure(QWidget* parent);

    const QList<SweepData>& sweeps() const { return m_sweeps; }
    double linePercentile() const { return m_line; }
    // Redraws now, visible or not: for a setting the user just changed.
    void redrawNow();

    bool needsRedraw() const override { return m_dirty; }
    void redraw() final;
    // The figure's own drawing, from sweeps() and its settings.
    virtual void drawFigure() = 0;

private:
    QList<SweepData> m_sweeps;
    double m_line = 50;
    bool m_dirty = true;
};

// The study's figure, with tails: x = achieved rate (log), y = RTT in µs (log); per series a line
// through a chosen percentile (p50 by default), a p10–p90 band and p99 markers; the ICMP baseline
// dashed. Axis ranges come from the measured values. Redraws only when refresh() is called.
class SweepPlot : public SweepFigure {
    Q_OBJECT
public:
    explicit SweepPlot(QWidget* parent = nullptr);

    void setBandVisible(bool on);    // p10–p90; redraws now
    void setMarkersVisible(bool on); // p99; redraws now

protected:
    void drawFigure() override;

private:
    QList<QCPGraph*> m_lines; // per curve its line; the band low, band high and markers follow it
    bool m_band = true;
    bool m_markers = true;
    QCPItemText* m_empty; // "no sweep yet"
    QCPItemText* m_key;   // which percentile the line, band and markers are
};

// "RTT vs tasks" at one target rate of the grid: x = task count (one tick per count), y = RTT (log);
// per engine x transport a line through the chosen percentile and p99 markers.
class SweepTasksPlot : public SweepFigure {
    Q_OBJECT
public:
    explicit SweepTasksPlot(QWidget* parent = nullptr);
    // The target rate whose points are drawn; redraws now.
    void setRate(double targetRate);

protected:
    void drawFigure() override;

private:
    double m_rate = 0;
};
