#include "plot_runs.h"

#include "latency_axis.h"
#include "plot_colours.h"

#include <QObject>

QString windowText(double seconds) {
    return QStringLiteral("last %1").arg(formatMicros(seconds * 1e6));
}

QList<HistogramSeries> histogramSeries(const PlotRuns& runs, bool wholeRun) {
    QList<HistogramSeries> out;
    if (runs.live) {
        const le::Histogram& h = wholeRun ? runs.live->whole_run() : runs.live->window();
        QString name = QString::fromStdString(runs.live->name());
        name += QStringLiteral(" (%1)").arg(wholeRun ? QObject::tr("whole run")
                                                     : windowText(runs.live->window_s()));
        if (!h.empty())
            out.push_back({name, runColour(0), &h, true});
        // Bursts: the cold first round trip of each tick against the warm rest, as their own series.
        const le::Histogram& first = wholeRun ? runs.live->whole_first() : runs.live->window_first();
        const le::Histogram& rest = wholeRun ? runs.live->whole_rest() : runs.live->window_rest();
        if (!first.empty() && !rest.empty()) {
            out.push_back({QObject::tr("first of burst"), QColor(SeriesColours::kBurstFirst), &first, false});
            out.push_back({QObject::tr("rest of burst"), QColor(SeriesColours::kBurstRest), &rest, false});
        }
    }
    for (int i = 0; i < runs.overlays.size(); ++i) {
        const auto& run = runs.overlays[i];
        // The colour follows the overlay's position, so a run keeps its colour in every plot.
        if (run && !run->whole_run().empty())
            out.push_back({QString::fromStdString(run->name()), runColour(i + 1), &run->whole_run(), false});
    }
    return out;
}
