#include "sweep_curves.h"

#include "units.h"

#include <QStringList>

#include <algorithm>
#include <map>
#include <set>

namespace {

QString seriesLabel(const le::SweepPointResult& p, bool engine, bool transport, bool tasks, bool payload) {
    if (p.icmp)
        return QStringLiteral("ICMP (system ping)");
    QStringList parts;
    if (engine)
        parts << QString::fromStdString(p.engine);
    if (transport)
        parts << QString::fromStdString(p.transport);
    if (tasks)
        parts << QStringLiteral("%1 tasks").arg(p.tasks);
    if (payload)
        parts << QString::fromStdString(le::format_size(p.payload));
    return parts.join(QLatin1Char('/'));
}

} // namespace

QString percentileName(double p) {
    if (p >= 100)
        return QStringLiteral("max");
    return QStringLiteral("p%1").arg(p);
}

QList<SweepCurve> sweepCurves(const QList<SweepData>& sweeps) {
    // What varies over all sweeps decides which parts the labels need.
    std::set<std::string> engines, transports;
    std::set<int> tasks;
    std::set<std::size_t> payloads;
    for (const auto& s : sweeps)
        for (const auto& p : s.file->points)
            if (!p.icmp) {
                engines.insert(p.engine);
                transports.insert(p.transport);
                tasks.insert(p.tasks);
                payloads.insert(p.payload);
            }
    QList<SweepCurve> curves;
    for (int si = 0; si < sweeps.size(); ++si) {
        // series -> target rate -> merged repetitions
        std::map<std::string, std::map<double, SweepCurvePoint>> grouped;
        std::map<std::string, std::pair<le::SweepPointResult, int>> examples;
        std::map<std::string, std::map<double, int>> reps;
        std::vector<std::string> order;
        for (const auto& p : sweeps[si].file->points) {
            if (!p.ok())
                continue;
            const std::string series = p.series();
            if (!examples.contains(series)) {
                order.push_back(series);
                examples[series] = {p, 0};
            }
            SweepCurvePoint& c = grouped[series][p.target_rate];
            c.target_rate = p.target_rate;
            c.achieved_rate += p.achieved_rate;
            c.rtt.add(p.rtt);
            c.received += p.received;
            ++reps[series][p.target_rate];
        }
        for (const std::string& series : order) {
            SweepCurve curve;
            curve.sweep = si;
            curve.example = examples[series].first;
            curve.icmp = curve.example.icmp;
            curve.name = seriesLabel(curve.example, true, true, tasks.size() > 1, payloads.size() > 1);
            if (!sweeps[si].name.isEmpty() && sweeps.size() > 1)
                curve.name = QStringLiteral("%1: %2").arg(sweeps[si].name, curve.name);
            for (auto& [rate, point] : grouped[series]) {
                point.achieved_rate /= reps[series][rate];
                curve.points << point;
            }
            std::sort(curve.points.begin(), curve.points.end(),
                      [](const auto& a, const auto& b) { return a.achieved_rate < b.achieved_rate; });
            curves << curve;
        }
    }
    return curves;
}
