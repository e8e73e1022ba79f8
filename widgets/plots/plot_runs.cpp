#include "plot_runs.h"

#include "latency_axis.h"
#include "plot_colours.h"
#include "split_parts.h"

#include <QObject>

#include <cmath>

QString windowText(double seconds) {
    return QStringLiteral("last %1").arg(formatMicros(seconds * 1e6));
}

QString shiftedName(const QString& name, double shift_s) {
    if (shift_s == 0)
        return name;
    // At least one decimal ("+12.0 s"), as many as the shift has up to milliseconds ("-0.25 s").
    QString seconds = QString::number(std::abs(shift_s), 'f', 3);
    while (seconds.endsWith(QLatin1Char('0')) && !seconds.endsWith(QLatin1String(".0")))
        seconds.chop(1);
    return QStringLiteral("%1 (%2%3 s)")
        .arg(name, shift_s > 0 ? QStringLiteral("+") : QStringLiteral("-"), seconds);
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
        // The kernel split: each part's distribution over the same window, in the split plot's colours.
        const QList<SplitHistogramPart> parts = splitHistogramParts();
        for (std::size_t i = 0; i < le::RunHistory::kSplitParts && i < std::size_t(parts.size()); ++i) {
            const le::Histogram* part = wholeRun ? runs.live->whole_split(i) : runs.live->window_split(i);
            if (part && !part->empty())
                out.push_back({QObject::tr("split: %1").arg(parts[qsizetype(i)].name),
                               QColor(parts[qsizetype(i)].colour), part, false});
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
