#include "export_conditions.h"

#include "qt_string.h"
#include "run_history.h"
#include "units.h"

#include <QDateTime>
#include <QStringList>

namespace {

// "1.02k": achieved rates are measured, so they get three significant digits, not format_rate's
// round spelling of a target.
QString measuredRate(double rate) {
    if (rate >= 1e6)
        return QString::number(rate / 1e6, 'g', 3) + QStringLiteral("M");
    if (rate >= 1e3)
        return QString::number(rate / 1e3, 'g', 3) + QStringLiteral("k");
    return QString::number(rate, 'g', 3);
}

} // namespace

ExportConditions conditionsOf(const le::RunHistory& run, const QString& window, const QString& version) {
    const auto& info = run.info();
    const auto value = [&](const char* key) {
        const auto it = info.find(key);
        return it == info.end() ? QString() : qs(it->second);
    };
    QStringList items;
    const auto add = [&](const QString& label, const QString& v) {
        if (!v.isEmpty())
            items << label + QLatin1Char(' ') + v;
    };
    add(QObject::tr("engine"), value("engine"));
    add(QObject::tr("transport"), value("transport"));
    add(QObject::tr("peer"), value("peer"));
    const auto& intervals = run.intervals();
    if (!intervals.empty()) {
        // Achieved over the whole run (messages sent / time measured); the target as it is now.
        double sent = 0, seconds = 0;
        for (const auto& r : intervals) {
            sent += double(r.sent);
            seconds += r.duration_s;
        }
        const auto& last = intervals.back();
        // Our records always carry a payload (8 B at least); records read from an interval log
        // (.hlog) carry none, nor a target rate or tasks: those are unknown, not 0 and "inf".
        const bool conditionsKnown = last.payload > 0;
        const QString target = last.target_rate > 0 ? measuredRate(last.target_rate) : QObject::tr("inf");
        if (seconds > 0)
            add(QObject::tr("rate"),
                conditionsKnown ? QObject::tr("%1 of %2 msg/s").arg(measuredRate(sent / seconds), target)
                                : QObject::tr("%1 msg/s").arg(measuredRate(sent / seconds)));
        if (conditionsKnown) {
            add(QObject::tr("payload"), qs(le::format_size(last.payload)));
            add(QObject::tr("tasks"), QString::number(last.tasks));
        }
        if (last.burst > 1)
            add(QObject::tr("burst"), QString::number(last.burst));
    }
    // The priority the window gave the run's threads (nice 19 with tasks, thread_priority.h), as
    // the run's info recorded it; nothing when it does not say, or says the usual 0.
    if (const QString nice = value("nice"); !nice.isEmpty() && nice != QLatin1String("0"))
        add(QObject::tr("measured threads nice"), nice);
    add(QObject::tr("loop"), value("loop"));
    add(QObject::tr("window"), window);
    add(QObject::tr("host"), value("host"));
    QString date = value("started");
    if (const QDateTime when = QDateTime::fromString(date, Qt::ISODate); when.isValid())
        date = when.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    add(QObject::tr("date"), date);
    if (!version.isEmpty())
        items << QObject::tr("Latency Explorer %1").arg(version);

    ExportConditions c;
    c.title = QObject::tr("Latency Explorer — %1").arg(qs(run.name()));
    c.line = items.join(QStringLiteral(" · "));
    return c;
}
