#pragma once

// What the plot suites share: synthetic runs added through RunHistory::add() as the window adds
// them, the live plots made by name, and ways to look at what a plot drew.
#include "distribution_plot.h"
#include "histogram_plot.h"
#include "percentile_plot.h"
#include "plot_runs.h"

#include <QGridLayout>
#include <QImage>
#include <QPalette>
#include <QPointF>
#include <QSet>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

using le::Histogram;
using le::IntervalRecord;
using le::ParamChange;
using le::RunHistory;

// A synthetic run: `intervals` one-second intervals of lognormal RTTs, optionally with intervals
// that received nothing, live changes and a summary, all added through RunHistory::add() as the
// window does.
struct RunSpec {
    std::string name = "live";
    int intervals = 10;
    int samples = 10'000; // per interval
    double medianUs = 20;
    double sigma = 0.5;
    std::uint64_t seed = 1;
    std::vector<int> silent; // intervals without a single echo
    bool changes = true;
    bool summary = true;
};

inline IntervalRecord recordOf(double t, const Histogram& h, std::vector<ParamChange> changes) {
    IntervalRecord r;
    r.t_s = t;
    r.duration_s = 1.0;
    r.target_rate = 10'000;
    r.achieved_rate = static_cast<double>(h.count());
    r.payload = 64;
    r.sent = h.count() ? h.count() : 10;
    r.received = h.count();
    r.lost = r.sent - r.received;
    if (!h.empty()) {
        const auto us = [&](double p) { return static_cast<double>(h.value_at_percentile(p)) / 1e3; };
        r.min_us = static_cast<double>(h.min()) / 1e3;
        r.mean_us = h.mean() / 1e3;
        r.p50_us = us(50);
        r.p90_us = us(90);
        r.p99_us = us(99);
        r.p999_us = us(99.9);
        r.p9999_us = us(99.99);
        r.max_us = static_cast<double>(h.max()) / 1e3;
    }
    r.changes = std::move(changes);
    r.rtt_ns = std::make_shared<Histogram>(h);
    return r;
}

// Appends `count` intervals after the run's last one.
inline void appendIntervals(RunHistory& run, int count, double medianUs, std::uint64_t seed,
                            std::vector<ParamChange> changes = {}) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> rtt(std::log(medianUs * 1e3), 0.5);
    double t = run.intervals().empty() ? 0.0 : run.intervals().back().t_s;
    for (int k = 0; k < count; ++k) {
        Histogram h;
        for (int i = 0; i < 2'000; ++i)
            h.record(std::llround(rtt(rng)));
        t += 1.0;
        for (auto& c : changes)
            c.t_s = t - 0.5;
        run.add(recordOf(t, h, k == 0 ? changes : std::vector<ParamChange>{}));
    }
}

// Appends `count` records of `seconds` each, as the window's bridge adds them (30 a second), of
// `samples` lognormal RTTs around 25 us with one in a hundred 8 times slower (a loopback run at
// back-to-back). `rng` carries on from call to call.
inline void appendRecords(RunHistory& run, int count, std::mt19937_64& rng, double seconds = 1.0 / 30,
                          int samples = 1000) {
    std::lognormal_distribution<double> rtt(std::log(25e3), 0.35);
    std::uniform_real_distribution<double> tail(0, 1);
    double t = run.intervals().empty() ? 0.0 : run.intervals().back().t_s;
    for (int k = 0; k < count; ++k) {
        Histogram h;
        for (int i = 0; i < samples; ++i)
            h.record(std::llround(rtt(rng) * (tail(rng) < 0.01 ? 8.0 : 1.0)));
        t += seconds;
        IntervalRecord r = recordOf(t, h, {});
        r.duration_s = seconds;
        run.add(r);
    }
}

inline std::shared_ptr<RunHistory> makeRun(const RunSpec& spec) {
    auto run = std::make_shared<RunHistory>(spec.name);
    std::mt19937_64 rng(spec.seed);
    std::lognormal_distribution<double> rtt(std::log(spec.medianUs * 1e3), spec.sigma);
    Histogram whole;
    std::vector<ParamChange> all;
    for (int k = 0; k < spec.intervals; ++k) {
        Histogram h;
        const bool silent = std::find(spec.silent.begin(), spec.silent.end(), k) != spec.silent.end();
        for (int i = 0; i < (silent ? 0 : spec.samples); ++i)
            h.record(std::llround(rtt(rng) * (k >= 5 ? 1.5 : 1.0))); // slower after the rate change
        std::vector<ParamChange> changes;
        if (spec.changes && k == 4)
            changes.push_back({k + 0.5, "rate", "10k"});
        if (spec.changes && k == 7)
            changes.push_back({k + 0.5, "tasks", "100"});
        all.insert(all.end(), changes.begin(), changes.end());
        whole.add(h);
        run->add(recordOf(k + 1.0, h, changes));
    }
    if (spec.summary) {
        IntervalRecord s = recordOf(spec.intervals, whole, all);
        s.kind = IntervalRecord::Kind::Summary;
        run->add(s);
    }
    return run;
}

inline PlotRuns runsWith(int overlays, bool live = true) {
    PlotRuns runs;
    if (live)
        runs.live = makeRun({});
    for (int i = 0; i < overlays; ++i) {
        RunSpec spec;
        spec.name = "saved " + std::to_string(i + 1);
        spec.medianUs = 35.0 + 20.0 * i;
        spec.seed = 100 + static_cast<std::uint64_t>(i);
        spec.intervals = 6;
        spec.samples = 3'000;
        runs.overlays << makeRun(spec);
    }
    return runs;
}

// One of the three live plots by name: "histogram", "percentile" or "distribution".
inline std::unique_ptr<RunsPlot> makePlot(const QString& kind) {
    if (kind == "histogram")
        return std::make_unique<HistogramPlot>();
    if (kind == "percentile")
        return std::make_unique<PercentilePlot>();
    return std::make_unique<DistributionPlot>();
}

// Refreshes `plot` the way the window and the exports do: by name, through the meta-object.
inline void refresh(QCustomPlot* plot, bool force) {
    QVERIFY(QMetaObject::invokeMethod(plot, "refresh", Qt::DirectConnection, Q_ARG(bool, force)));
}

inline QList<QPointF> points(const QCPGraph* graph) {
    QList<QPointF> out;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        out << QPointF(it->key, it->value);
    return out;
}

inline int distinctColours(const QImage& image) {
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2)
            colours.insert(image.pixel(x, y));
    }
    return static_cast<int>(colours.size());
}

template <typename Item> QList<Item*> itemsOf(const QCustomPlot& plot) {
    QList<Item*> out;
    for (int i = 0; i < plot.itemCount(); ++i) {
        if (auto* item = qobject_cast<Item*>(plot.item(i)))
            out << item;
    }
    return out;
}

// The legend is a grid: wrapped into rows it has empty cells, which itemCount() includes.
inline int legendEntries(const QCustomPlot& plot) {
    int n = 0;
    for (int i = 0; i < plot.legend->itemCount(); ++i)
        n += plot.legend->item(i) != nullptr;
    return n;
}

inline double relativeLuminance(const QColor& c) {
    const auto channel = [](double v) {
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

inline double contrast(const QColor& a, const QColor& b) {
    const double la = relativeLuminance(a), lb = relativeLuminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

inline QPalette darkPalette() {
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x20, 0x21, 0x24));
    p.setColor(QPalette::WindowText, QColor(0xe8, 0xea, 0xed));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::AlternateBase, QColor(0x2a, 0x2a, 0x2a));
    p.setColor(QPalette::Text, QColor(0xe8, 0xea, 0xed));
    p.setColor(QPalette::Button, QColor(0x30, 0x31, 0x34));
    p.setColor(QPalette::ButtonText, QColor(0xe8, 0xea, 0xed));
    p.setColor(QPalette::Mid, QColor(0x50, 0x50, 0x50));
    return p;
}

// The panel the window exports as "dashboard": the three plots in a grid.
inline std::unique_ptr<QWidget> makeDashboard(const PlotRuns& runs) {
    auto dashboard = std::make_unique<QWidget>();
    auto* grid = new QGridLayout(dashboard.get());
    int i = 0;
    for (const char* kind : {"percentile", "histogram", "distribution"}) {
        RunsPlot* plot = makePlot(kind).release(); // the layout's widget owns it
        plot->setRuns(runs);
        grid->addWidget(plot, i == 0 ? 0 : 1, i == 0 ? 0 : i - 1, 1, i == 0 ? 2 : 1);
        ++i;
    }
    dashboard->resize(1000, 700);
    return dashboard;
}
