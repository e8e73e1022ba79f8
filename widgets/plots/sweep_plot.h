#pragma once

#include "sweep_result.h"

#include <qcustomplot.h>

#include <QList>
#include <QString>

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
// Groups the successful points of `sweeps` into curves. Parts of the label every curve shares
// (one payload, one engine) are left out, so the legend names only what varies.
QList<SweepCurve> sweepCurves(const QList<SweepData>& sweeps);

// The study's figure, with tails: x = achieved rate (log), y = RTT in µs (log); per series a line
// through a chosen percentile (p50 by default), a p10–p90 band and p99 markers; the ICMP baseline
// dashed. Axis ranges come from the measured values. Redraws only when refresh() is called.
class SweepPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit SweepPlot(QWidget* parent = nullptr);

    void setSweeps(const QList<SweepData>& sweeps);
    void setLinePercentile(double p); // 50, 90, 99, 99.9 or 100 (max)
    double linePercentile() const { return m_line; }
    void setBandVisible(bool on);    // p10–p90
    void setMarkersVisible(bool on); // p99
    const QList<SweepCurve>& curves() const { return m_curves; }
    // Graphs of the curve at `index`: line, band low, band high, markers (null when hidden).
    QCPGraph* lineGraph(int curve) const;

public slots:
    void refresh(bool force = false);

protected:
    void updateLayout() override;

private:
    void rebuild();

    QList<SweepData> m_sweeps;
    QList<SweepCurve> m_curves;
    QList<QCPGraph*> m_lines;
    double m_line = 50;
    bool m_band = true;
    bool m_markers = true;
    bool m_dirty = true;
    QCPItemText* m_empty; // "no sweep yet"
    QCPItemText* m_key;   // which percentile the line, band and markers are
};

// "RTT vs tasks" at one target rate of the grid: x = task count (one tick per count), y = RTT (log);
// per engine x transport a line through the chosen percentile and p99 markers.
class SweepTasksPlot : public QCustomPlot {
    Q_OBJECT
public:
    explicit SweepTasksPlot(QWidget* parent = nullptr);
    void setSweeps(const QList<SweepData>& sweeps);
    void setRate(double targetRate);
    void setLinePercentile(double p);
    double rate() const { return m_rate; }

public slots:
    void refresh(bool force = false);

protected:
    void updateLayout() override;

private:
    QList<SweepData> m_sweeps;
    double m_rate = 0;
    double m_line = 50;
    bool m_dirty = true;
};

// Log axis whose tick labels read 1, 10, 100, 1k, 10k, 1M (rates) or plain µs values.
void setSweepLogAxis(QCPAxis* axis, const QString& label);
// "p50", "p99.9", "max".
QString percentileName(double p);
