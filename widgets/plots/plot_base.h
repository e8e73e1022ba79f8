#pragma once

#include <qcustomplot.h>

#include <QSet>
#include <QString>

#include <cstdint>
#include <optional>

// What every plot widget shares, so that each plot's own file holds only what it draws:
// - the look: axis, text, grid and legend colours and the font from the widget's palette, following
//   later palette and font changes (a switch to dark mode stays readable), and the marker layers;
// - drag and wheel zoom, and a click on a legend entry that hides or shows that series, remembered
//   across the rebuilds of the plot's graphs;
// - the legend inside the axis rect or in a row above it, wrapped to the width of the moment;
// - refresh(): skipped while the plot is hidden unless forced, caught up by itself when the plot is
//   shown again, ending in one replot whose paint joins the window's next (no repaint per plot), or
//   where only points were appended, in the strip they cover drawn alone (drawAppended());
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
    // Refreshes that drew only the strip of new data (drawAppended()) instead of replotting.
    std::uint64_t stripDraws() const { return m_stripDraws; }

signals:
    // After each refresh() that drew: a replot (QCustomPlot::afterReplot() came first) or the strip of
    // new points alone (drawAppended()).
    void redrawn();

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
    // For refresh() to draw only the strip of new points (drawAppended()) instead of replotting: the
    // first this many graphs take points appended at their end (0, the default: never), and whether
    // the last redraw() did nothing but that (no rebuild, nothing outside what the replot state
    // covers). refresh() checks that points did arrive and that no item came with them.
    virtual int appendingGraphs() const { return 0; }
    virtual bool onlyAppended() const { return false; }

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

    // What the last replot drew with, as far as a strip drawn on its own must find it unchanged.
    struct ReplotState {
        QCPRange x, y;
        QRect axisRect, viewport;
        int items = 0;
        QList<QPen> pens;
        QStringList names;
        QList<bool> visible;
        QString xLabel, yLabel;
        bool live = false; // drawn live (an image drawn smooth takes no live strip)
        bool operator==(const ReplotState&) const = default;
    };
    ReplotState replotState(); // not const: QCustomPlot lists its plottables only so
    // For a redraw() that only appended points to its graphs, at keys from `fromKey` to `toKey`:
    // draws the axis rect's strip that those keys cover (grid, every graph, items and axes as a replot
    // would, with each solid graph cut to its points near the strip) onto the last replot's image,
    // and repaints that strip alone. Pixel for pixel what a replot would give (tst_append_drawing),
    // for a small part of its cost: a scrolling plot redrawn whole at 30 Hz was most of the window's
    // drawing. Draws nothing and returns false when anything else may have changed since the last
    // replot (ranges, size, layout, names, pens, visibility, items, axis labels, a queued replot) or
    // when drawing smooth: the caller then replots.
    bool drawAppended(double fromKey, double toKey);
    // The last key of the first `graphs` graphs: the earliest of them (`earliest`) or the latest;
    // NaN when they have no points. What drawAppended() is given around appending.
    double lastKeyOf(int graphs, bool earliest);

    int m_legendColumns;
    bool m_liveDrawing = false;
    std::optional<ReplotState> m_replotted; // as of the last replot, while its image is current
    std::uint64_t m_stripDraws = 0;
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
