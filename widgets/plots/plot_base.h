#pragma once

#include <qcustomplot.h>

#include <QSet>
#include <QString>

// What every plot widget shares, so that each plot's own file holds only what it draws:
// - the look: axis, text, grid and legend colours and the font from the widget's palette, following
//   later palette and font changes (a switch to dark mode stays readable), and the marker layers;
// - drag and wheel zoom, and a click on a legend entry that hides or shows that series, remembered
//   across the rebuilds of the plot's graphs;
// - the legend inside the axis rect or in a row above it, wrapped to the width of the moment;
// - refresh(): skipped while the plot is hidden unless forced, caught up by itself when the plot is
//   shown again, ending in one replot whose paint joins the window's next (no repaint per plot);
// - live drawing: while a run streams, curves and items are drawn without antialiasing.
class PlotBase : public QCustomPlot {
    Q_OBJECT
public:
    // Live drawing on: curves, fills and items without antialiasing. On the window at back-to-back
    // rate antialiasing took about half of the GUI thread's CPU time per redraw (6.0 -> 3.5 ms here),
    // CPU time taken from the measured threads on a 2-vCPU machine. Off (the default): everything
    // antialiased, as stopped runs, screenshots and exports are drawn. Takes effect at the next replot.
    void setLiveDrawing(bool live);
    bool liveDrawing() const { return m_liveDrawing; }

public slots:
    // Redraws the plot from its current data. Skipped while the widget is hidden unless `force`
    // (exports), since the window calls this for every plot at up to 30 Hz; skipped too when the
    // plot says it has nothing new (needsRedraw()).
    void refresh(bool force = false);

protected:
    // `legendColumns` 0 keeps the legend inside the axis rect. More moves it into a row above the
    // axis rect, for plots whose legend would otherwise cover data or marker labels; its entries
    // then wrap into at most that many columns, on screen and in exports at other sizes.
    PlotBase(int legendColumns, QWidget* parent);

    // Whether refresh() has anything to do. Plots of data that does not grow say no until it changed.
    virtual bool needsRedraw() const { return true; }
    // The plot's own part of refresh(): builds or extends its graphs and items. PlotBase replots.
    virtual void redraw() = 0;

    // Graph `index`, added if missing, named and styled. Plots rebuild their series at every
    // refresh, so the user's legend-click choice is remembered per series (name and pen), not per
    // graph object, and re-applied here.
    QCPGraph* seriesGraph(int index, const QString& name, const QPen& pen);
    // Removes the graphs from `count` on: the series that no longer exist.
    void removeGraphsFrom(int count);

    bool event(QEvent* event) override;
    void updateLayout() override;
    void paintEvent(QPaintEvent* event) override;

private:
    void applyColours();
    void colourLegendEntry(QCPAbstractPlottable* plottable);
    void toggleSeries(QCPAbstractPlottable* plottable);
    void fitLegendColumns();

    int m_legendColumns;
    bool m_liveDrawing = false;
    QSet<QString> m_hiddenSeries; // series the user hid with a legend click (seriesKey)
};

// Every PlotBase in `root` (itself included) drawn smooth for this object's lifetime, and replotted so:
// screenshots and exports of a live run are antialiased. The plots' own setting comes back after.
class SmoothDrawing {
public:
    explicit SmoothDrawing(QWidget* root);
    ~SmoothDrawing();
    SmoothDrawing(const SmoothDrawing&) = delete;
    SmoothDrawing& operator=(const SmoothDrawing&) = delete;

private:
    QList<PlotBase*> m_live; // the plots that were live, to be so again
};
