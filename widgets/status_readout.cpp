#include "status_readout.h"

#include "qt_string.h"
#include "units.h"

#include <QLabel>
#include <QStatusBar>

#include <cmath>

StatusReadout::StatusReadout(QStatusBar* bar, QObject* parent)
    : QObject(parent)
    , m_rate(new QLabel(bar))
    , m_throughput(new QLabel(bar))
    , m_counts(new QLabel(bar))
    , m_percentiles(new QLabel(bar))
    , m_cpu(new QLabel(bar))
    , m_elapsed(new QLabel(bar)) {
    for (QLabel* l : {m_rate, m_throughput, m_counts, m_percentiles, m_cpu, m_elapsed})
        bar->addPermanentWidget(l);
    m_rate->setToolTip(tr("Achieved send rate / target rate"));
    m_throughput->setToolTip(tr("Payload throughput, each direction"));
    m_cpu->setToolTip(tr("CPU time of this process per wall second (100% = one core), and where the ping "
                         "and the pong run. With the in-process pong, the pong's share is included."));
}

void StatusReadout::show(const le::IntervalRecord* r, const le::RunHistory* history, double elapsedSeconds) {
    if (!r || !history) {
        for (QLabel* l : {m_rate, m_throughput, m_counts, m_percentiles})
            l->clear();
        m_elapsed->setText(tr("%1 s").arg(elapsedSeconds, 0, 'f', 1));
        return;
    }
    m_rate->setText(
        tr("rate %1 / %2 msg/s")
            .arg(qs(le::format_rate(std::round(r->achieved_rate))), qs(le::format_rate(r->target_rate))));
    const double mbps = r->duration_s > 0 ? double(r->bytes) * 8 / r->duration_s / 1e6 : 0;
    m_throughput->setText(tr("%1 Mb/s").arg(mbps, 0, 'f', mbps < 10 ? 2 : 0));
    std::uint64_t sent = 0, received = 0, lost = 0;
    for (const auto& i : history->intervals()) {
        sent += i.sent;
        received += i.received;
        lost += i.lost;
    }
    m_counts->setText(tr("sent %1  received %2  lost %3").arg(sent).arg(received).arg(lost));
    QString percentiles = tr("p50 %1 µs  p99 %2 µs").arg(r->p50_us, 0, 'f', 1).arg(r->p99_us, 0, 'f', 1);
    if (r->burst > 1)
        percentiles += tr("  (burst of %1: first p50 %2 µs, rest p50 %3 µs)")
                           .arg(r->burst)
                           .arg(r->first.p50_us, 0, 'f', 1)
                           .arg(r->rest.p50_us, 0, 'f', 1);
    m_percentiles->setText(percentiles);
    m_cpu->setText(tr("CPU %1%  ping on %2, pong on %3")
                       .arg(r->cpu_percent, 0, 'f', 0)
                       .arg(qs(r->ping_cpus), qs(r->pong_cpus)));
    m_elapsed->setText(tr("%1 s").arg(elapsedSeconds, 0, 'f', 1));
}
