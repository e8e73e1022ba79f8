#include "split_plot.h"

#include "latency_axis.h"
#include "plot_colours.h"
#include "plot_marker.h"
#include "split_parts.h"
#include "windowed_percentiles.h"

#include <QEvent>

#include <algorithm>
#include <cmath>

namespace {

constexpr int kLegendColumns = 3;
// A record starting this much after the one before it follows a stop: the lines break there.
constexpr double kGapSeconds = 0.1;

double percentileOf(const SplitPlot::View view) {
    return view == SplitPlot::View::P50Stacked ? 50.0 : 99.0;
}

// `text` broken into lines no wider than `width` pixels (a long "no: …" reason stays inside the plot).
QString wrapped(const QString& text, const QFontMetrics& fm, int width) {
    if (width <= 0)
        return text;
    QStringList lines;
    QString line;
    for (const QString& word : text.split(QLatin1Char(' '))) {
        const QString longer = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
        if (!line.isEmpty() && fm.horizontalAdvance(longer) > width) {
            lines << line;
            line = word;
        } else {
            line = longer;
        }
    }
    lines << line;
    return lines.join(QLatin1Char('\n'));
}

} // namespace

SplitPlot::SplitPlot(QWidget* parent)
    : RunsPlot(kLegendColumns, parent)
    , m_title(new QCPTextElement(this)) {
    plotLayout()->insertRow(0); // above the legend's row (PlotBase)
    plotLayout()->addElement(0, 0, m_title);
    plotLayout()->setRowStretchFactor(0, 0.001);
    QFont bold = font();
    bold.setBold(true);
    m_title->setFont(bold);
    xAxis->setLabel(tr("time (s)"));
    xAxis->setRange(0, 10);
    yAxis->setRange(0, 100);
    QString parts;
    for (const SplitPart& part : splitParts({}))
        parts += QStringLiteral("\n%1: %2").arg(part.name, part.meaning);
    for (const SplitPart& part : splitParts({}, true).mid(1, 2)) // with a pong of ours: network, pong
        parts += QStringLiteral("\n%1: %2").arg(part.name, part.meaning);
    setToolTip(tr("Where each round trip's time went, by the kernel's timestamps:%1\n\n"
                  "p50 view: the parts' p50s stacked; the top is the sum of the p50s, close to but not the "
                  "RTT's p50. p99 view: one line per part, since p99s do not add up. A percentile is drawn "
                  "where its interval holds at least 10 samples above it.")
                   .arg(parts));
    watchUserRange();
}

void SplitPlot::setView(View view) {
    if (view == m_view)
        return;
    m_view = view;
    m_rebuild = true;
    refresh();
}

void SplitPlot::followTime(double lower, double upper) {
    setOwnRange(xAxis, lower, upper);
}

void SplitPlot::setTimeWindow(double seconds) {
    m_timeWindow = std::max(0.0, seconds);
}

QString SplitPlot::title() const {
    return m_title->text().replace(QLatin1Char('\n'), QLatin1Char(' '));
}

void SplitPlot::redraw() {
    const le::RunHistory* live = runs().live.get();
    const std::uint64_t rebuilds = m_rebuilds;
    const QString title = m_title->text();
    if (m_rebuild || live != m_plotted ||
        (live && (live->edits() != m_edits || live->intervals().size() < m_intervals ||
                  live->markers().size() < m_markers)))
        rebuild();
    else if (live)
        appendRecords();
    updateTexts();
    if (autoRange())
        fitValues();
    // Only points appended, the title as it was (it is outside the axis rect): refresh() draws their
    // strip (PlotBase::drawAppended).
    m_onlyAppended = m_rebuilds == rebuilds && m_title->text() == title;
}

void SplitPlot::rebuild() {
    m_rebuild = false;
    ++m_rebuilds;
    if (runs().live.get() != m_plotted)
        m_peer = false; // a new run: three parts until its peer's side arrives
    m_plotted = runs().live.get();
    m_edits = m_plotted ? m_plotted->edits() : 0;
    m_intervals = m_markers = 0;
    for (QCPAbstractItem* item : std::as_const(m_markerItems))
        removeItem(item);
    m_markerItems.clear();
    const QString p = QString::fromStdString(le::percentile_label(percentileOf(m_view)));
    const QList<SplitPart> parts = splitParts({}, m_peer);
    for (int i = 0; i < parts.size(); ++i)
        seriesGraph(i, QStringLiteral("%1 %2").arg(parts[i].name, p), QPen(QColor(parts[i].colour), 1.6))
            ->data()
            ->clear();
    removeGraphsFrom(static_cast<int>(parts.size()));
    styleGraphs();
    if (m_plotted)
        appendRecords();
}

void SplitPlot::styleGraphs() {
    for (int i = 0; i < graphCount(); ++i) {
        QCPGraph* g = graph(i);
        g->setAdaptiveSampling(false); // one point per record; and a strip draws as a replot would
        if (m_view == View::P50Stacked) {
            // Each part fills down to the part below it; the bottom one down to zero.
            QColor fill = g->pen().color();
            fill.setAlpha(110);
            g->setBrush(fill);
            g->setChannelFillGraph(i > 0 ? graph(i - 1) : nullptr);
        } else {
            g->setBrush(Qt::NoBrush);
            g->setChannelFillGraph(nullptr);
        }
    }
}

void SplitPlot::appendRecords() {
    const le::RunHistory& live = *runs().live;
    const auto& records = live.intervals();
    const double p = percentileOf(m_view);
    for (std::size_t i = m_intervals; i < records.size(); ++i) {
        const le::IntervalRecord& r = records[i];
        // After a stop, no line joins the stretches on either side of it.
        if (i > 0 && r.t_s - r.duration_s - records[i - 1].t_s > kGapSeconds)
            for (int g = 0; g < graphCount(); ++g)
                graph(g)->addData(records[i - 1].t_s + kGapSeconds / 2, qQNaN());
        if (!m_peer && r.has_peer_split()) {
            // The peer's side arrived: four parts from now on, the records so far drawn again.
            m_peer = true;
            rebuild();
            return;
        }
        const QList<SplitPart> parts = splitParts(r.split, m_peer);
        double stacked = 0;
        // With four parts, a record without the peer's side (its residence came late) is a gap.
        bool gap = m_peer ? !r.has_peer_split() : !r.has_split();
        for (int g = 0; g < graphCount() && g < parts.size(); ++g) {
            const le::PartStats& s = parts[g].stats;
            double value = 0;
            if (m_view == View::P50Stacked) {
                // A stack with a missing layer has no top: the layers above it are gaps as well.
                gap = gap || !le::percentile_drawn(s.count, p);
                stacked += s.p50_us;
                value = gap ? qQNaN() : stacked;
            } else {
                value = !gap && le::percentile_drawn(s.count, p) ? s.p99_us : qQNaN();
            }
            graph(g)->addData(r.t_s, value);
        }
        for (const le::ParamChange& change : r.changes)
            addChangeMarker(change.t_s, QStringLiteral("%1 → %2").arg(QString::fromStdString(change.key),
                                                                      QString::fromStdString(change.value)));
    }
    m_intervals = records.size();
    for (std::size_t i = m_markers; i < live.markers().size(); ++i)
        addChangeMarker(live.markers()[i].t_s, QString::fromStdString(live.markers()[i].value));
    m_markers = live.markers().size();
}

void SplitPlot::addChangeMarker(double t_s, const QString& text) {
    const PlotMarker marker = addMarker(this, t_s, text, 0); // rows are chosen when drawn
    m_markerItems << marker.line << marker.label;
}

void SplitPlot::updateTexts() {
    const le::RunHistory* live = runs().live.get();
    const le::IntervalRecord* newest =
        live && !live->intervals().empty() ? &live->intervals().back() : nullptr;
    const double p = percentileOf(m_view);
    const QString label = QString::fromStdString(le::percentile_label(p));
    const QString window = m_timeWindow > 0 ? tr("last %1 s").arg(m_timeWindow) : tr("whole run");
    QString title;
    bool failed = false;
    // Records from before the split was asked for ("no: not asked …"): the restart is under way.
    if (!newest || newest->split_available.rfind("no: not asked", 0) == 0)
        title = tr("Round-trip split: waiting for records");
    else if (!newest->has_split()) {
        title = tr("Kernel split: %1").arg(QString::fromStdString(newest->split_available));
        failed = true;
    } else if (m_view == View::P50Stacked)
        title = tr("Round-trip split: p50 per part, stacked · %1").arg(window);
    else
        title = tr("Round-trip split: p99 per part, lines (p99s do not add up) · %1").arg(window);
    const QString shown = wrapped(title, QFontMetrics(m_title->font()), width() - 16);
    if (m_title->text() != shown)
        m_title->setText(shown);
    m_title->setTextColor(failed ? QColor(0xd3, 0x2f, 0x2f) : plotInkColour(this));

    // A part whose newest split lacks the samples for the percentile says what it needs.
    const auto withSplit = live ? std::find_if(live->intervals().rbegin(), live->intervals().rend(),
                                               [this](const le::IntervalRecord& r) {
                                                   return m_peer ? r.has_peer_split() : r.has_split();
                                               })
                                : std::vector<le::IntervalRecord>::const_reverse_iterator();
    const bool any = live && withSplit != live->intervals().rend();
    const QList<SplitPart> parts = splitParts(any ? withSplit->split : le::SplitStats{}, m_peer);
    for (int g = 0; g < graphCount() && g < parts.size(); ++g) {
        QString name = QStringLiteral("%1 %2").arg(parts[g].name, label);
        if (any && !le::percentile_drawn(parts[g].stats.count, p))
            name += tr(" (needs ≥ %1 per interval)").arg(le::samples_needed(p));
        if (graph(g)->name() != name)
            graph(g)->setName(name);
    }
    // The interval the label names moves by a few tenths of a millisecond from record to record
    // (33.3, 33.4 ms): it follows only a change of more than 5 %, else the label (outside the axis
    // rect) would have the plot replotted at every other record instead of the strip of new points.
    if (!newest)
        m_labelledInterval = 0;
    else if (std::abs(newest->duration_s - m_labelledInterval) > 0.05 * m_labelledInterval)
        m_labelledInterval = newest->duration_s;
    const QString axis =
        newest ? tr("µs per part, each point one %1 interval").arg(formatMicros(m_labelledInterval * 1e6))
               : tr("µs per part");
    if (yAxis->label() != axis)
        yAxis->setLabel(axis);
}

void SplitPlot::fitValues() {
    const QCPRange shown = xAxis->range();
    double upper = 0;
    for (int i = 0; i < graphCount(); ++i) {
        bool found = false;
        const QCPRange r = graph(i)->getValueRange(found, QCP::sdBoth, shown);
        if (graph(i)->visible() && found)
            upper = std::max(upper, r.upper);
    }
    // Zero at the bottom (the stack starts there); room above the top for the change labels. Kept
    // while the top stays under it with room and it is at most half as high again as that needs:
    // one that followed every new top would replot the plot at every record instead of the strip.
    if (upper > 0) {
        const QCPRange now = yAxis->range();
        const bool keep = now == m_fittedY && now.upper >= upper * 1.2 && now.upper <= upper * 1.35 * 1.5;
        if (!keep) {
            setOwnRange(yAxis, 0, upper * 1.35);
            m_fittedY = yAxis->range();
        }
    }
}

bool SplitPlot::event(QEvent* event) {
    if (event->type() == QEvent::FontChange) { // presentation mode's larger type
        QFont bold = font();
        bold.setBold(true);
        m_title->setFont(bold);
    }
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange ||
        event->type() == QEvent::FontChange)
        updateTexts(); // the title's ink follows the palette (an export's light theme too), its lines the
                       // font
    return RunsPlot::event(event);
}
