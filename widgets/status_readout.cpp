#include "status_readout.h"

#include "latency_axis.h"
#include "plot_runs.h"
#include "qt_string.h"
#include "units.h"

#include <QLabel>
#include <QStatusBar>

#include <cmath>

StatusReadout::StatusReadout(QStatusBar* bar, QObject* parent)
    : QObject(parent)
    , m_state(new QLabel(bar))
    , m_rate(new QLabel(bar))
    , m_throughput(new QLabel(bar))
    , m_percentiles(new QLabel(bar))
    , m_counts(new QLabel(bar))
    , m_cpu(new QLabel(bar))
    , m_lag(new QLabel(bar))
    , m_elapsed(new QLabel(bar)) {
    m_state->setObjectName(QStringLiteral("readoutState"));
    m_rate->setObjectName(QStringLiteral("readoutRate"));
    m_throughput->setObjectName(QStringLiteral("readoutThroughput"));
    m_percentiles->setObjectName(QStringLiteral("readoutPercentiles"));
    m_counts->setObjectName(QStringLiteral("readoutCounts"));
    m_cpu->setObjectName(QStringLiteral("readoutCpu"));
    m_lag->setObjectName(QStringLiteral("readoutSendLag"));
    m_elapsed->setObjectName(QStringLiteral("readoutElapsed"));
    for (QLabel* l : {m_state, m_rate, m_throughput, m_percentiles, m_counts, m_cpu, m_lag, m_elapsed})
        bar->addPermanentWidget(l);
    m_lag->setToolTip(
        tr("The instrument's own lag in the last interval: how late its sends left against their "
           "schedule. SATURATED: over a tenth of the period (or, in open loop, messages not sent "
           "at all), so its own queue is in the RTTs shown"));
    // A message ("peer lost: …", "rate not changed: …") is drawn left of the figures and cut where
    // they begin. While one shows, the secondary figures make way (the send lag too: its width follows
    // its values, and with long percentiles it left a 1280-pixel window's message 2 px short).
    connect(bar, &QStatusBar::messageChanged, this, [this](const QString& message) {
        for (QLabel* l : {m_throughput, m_counts, m_cpu, m_lag})
            l->setVisible(message.isEmpty());
    });
    m_rate->setToolTip(tr("Echoes received per second in the window / target send rate"));
    m_throughput->setToolTip(tr("Payload throughput in the window, each direction"));
    m_percentiles->setToolTip(tr("Percentiles of the window the histogram shows; a percentile needs at least "
                                 "10 samples above it in the window, else it shows —"));
    m_cpu->setToolTip(tr("CPU time of this process per wall second (100% = one core), and the CPUs the ping "
                         "and the pong may run on. With the in-process pong, the pong's share is included."));
}

void StatusReadout::setFigure(QLabel* label, const QString& text) {
    if (label->text() == text)
        return;
    label->setText(text);
    // A label of fixed size repaints alone when its text changes; one whose size follows its text
    // makes the status bar and the window lay themselves out again, at every refresh (0.4 ms of the
    // GUI thread each). It grows at once and shrinks only when the text is much shorter, so the
    // figures do not jitter sideways either.
    const QSize hint = label->sizeHint();
    const int width = label->maximumWidth();
    if (label->minimumSize() != label->maximumSize() || hint.width() > width ||
        hint.width() < width * 3 / 4 || hint.height() != label->maximumHeight())
        label->setFixedSize(hint);
}

QString StatusReadout::latency(double us) {
    return formatMicros(us);
}

QString StatusReadout::bitRate(double bps) {
    const auto three = [](double v) { return QString::number(v, 'f', v < 10 ? 2 : v < 100 ? 1 : 0); };
    if (bps >= 1e9)
        return tr("%1 Gb/s").arg(three(bps / 1e9));
    if (bps >= 1e6)
        return tr("%1 Mb/s").arg(three(bps / 1e6));
    return tr("%1 kb/s").arg(three(bps / 1e3));
}

void StatusReadout::show(const le::RunHistory* history, bool flowing, const QString& state,
                         double elapsedSeconds) {
    setFigure(m_elapsed, tr("%1 s").arg(elapsedSeconds, 0, 'f', 1));
    if (!history || history->empty()) {
        for (QLabel* l : {m_state, m_rate, m_throughput, m_percentiles, m_counts, m_cpu, m_lag})
            setFigure(l, QString());
        return;
    }
    const le::IntervalRecord& r = history->intervals().back();
    const le::Histogram& window = history->window();
    const QString which = windowText(history->window_s());
    setFigure(m_state, flowing ? which + QLatin1Char(':')
                               : QStringLiteral("<b>%1</b> — %2 before it:").arg(state, which));
    const double covered = history->window_covered_s();
    const double rate = covered > 0 ? static_cast<double>(window.count()) / covered : 0;
    setFigure(
        m_rate,
        tr("%1 / %2 msg/s").arg(qs(le::format_rate(std::round(rate))), qs(le::format_rate(r.target_rate))));
    setFigure(m_throughput, bitRate(rate * static_cast<double>(r.payload) * 8));
    const auto at = [&](double p) {
        return le::percentile_drawn(window.count(), p)
                   ? latency(static_cast<double>(window.value_at_percentile(p)) / 1e3)
                   : QStringLiteral("—");
    };
    QString percentiles =
        window.empty() ? tr("no echoes")
                       : tr("p50 %1 p99 %2 p99.9 %3 max %4")
                             .arg(at(50), at(99), at(99.9), latency(static_cast<double>(window.max()) / 1e3));
    // Bursts: the cold first round trip of each tick against the others, over the same window.
    const le::Histogram& first = history->window_first();
    const le::Histogram& rest = history->window_rest();
    if (r.burst > 1 && !first.empty() && !rest.empty())
        percentiles += tr(" (burst of %1: first p50 %2, rest p50 %3)")
                           .arg(r.burst)
                           .arg(latency(static_cast<double>(first.value_at_percentile(50)) / 1e3),
                                latency(static_cast<double>(rest.value_at_percentile(50)) / 1e3));
    setFigure(m_percentiles, percentiles);
    const le::RunHistory::Totals& t = history->totals();
    setFigure(m_counts, tr("sent %1 lost %2").arg(t.sent).arg(t.lost) +
                            (t.errors ? tr(" errors %1").arg(t.errors) : QString()) +
                            (t.strays ? tr(" strays %1").arg(t.strays) : QString()));
    m_counts->setToolTip(
        tr("Over the whole run: %1 sent, %2 received, %3 lost, %4 errors")
            .arg(t.sent)
            .arg(t.received)
            .arg(t.lost)
            .arg(t.errors) +
        (t.strays ? tr("; %1 strays (echoes of no message sent, not in those counts)").arg(t.strays)
                  : QString()) +
        (t.skipped ? tr("; %1 scheduled sends skipped (their slot passed while the ping waited for an echo "
                        "or for the CPU: the achieved rate's shortfall)")
                         .arg(t.skipped)
                   : QString()));
    setFigure(
        m_cpu,
        tr("CPU %1% ping %2 pong %3").arg(r.cpu_percent, 0, 'f', 0).arg(qs(r.ping_cpus), qs(r.pong_cpus)));
    const QString lag =
        tr("send lag p50 %1 p99 %2").arg(latency(r.send_lag_p50_us), latency(r.send_lag_p99_us));
    setFigure(m_lag, r.saturated
                         ? QStringLiteral("<b style=\"color:#d02020\">%1</b> %2").arg(tr("SATURATED"), lag)
                         : lag);
}
