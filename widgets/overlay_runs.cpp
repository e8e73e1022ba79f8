#include "overlay_runs.h"

#include "hlog_run.h"
#include "qt_string.h"
#include "session_file.h"

#include <QFile>
#include <QFileInfo>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace {

QString shortest(double v) {
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

} // namespace

OverlayRuns::OverlayRuns(QObject* parent)
    : QObject(parent) {}

QString OverlayRuns::open(const QString& path) {
    if (isIntervalLog(path))
        return openIntervalLog(path);
    try {
        auto run = std::make_shared<le::RunHistory>(le::load_session(path.toStdString()));
        if (run->name().empty() || run->name() == "live")
            run->set_name(QFileInfo(path).completeBaseName().toStdString());
        m_opened.append(run);
        emit changed();
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}

bool OverlayRuns::isIntervalLog(const QString& path) {
    if (path.endsWith(QLatin1String(".hlog"), Qt::CaseInsensitive))
        return true;
    if (path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        return false;
    QFile f(path);
    return f.open(QIODevice::ReadOnly) && le::looks_like_hlog(f.read(4096).toStdString());
}

QString OverlayRuns::openIntervalLog(const QString& path) {
    try {
        const std::string file = path.toStdString();
        const auto runs =
            le::runs_from_hlog(le::read_hlog(file), QFileInfo(path).completeBaseName().toStdString(), file);
        for (const auto& run : runs)
            m_opened.append(std::make_shared<le::RunHistory>(run));
        emit changed();
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}

void OverlayRuns::add(std::shared_ptr<const le::RunHistory> run) {
    m_opened.append(std::move(run));
    emit changed();
}

void OverlayRuns::setComparison(const Runs& runs) {
    m_comparison = runs;
    dropStaleShifts();
    emit changed();
}

void OverlayRuns::clear() {
    m_opened.clear();
    m_comparison.clear();
    m_shifts.clear();
    emit changed();
}

QList<double> OverlayRuns::shifts() const {
    QList<double> out;
    for (const auto& run : runs())
        out << m_shifts.value(run.get(), 0.0);
    return out;
}

QString OverlayRuns::setShift(int index, double seconds) {
    const Runs all = runs();
    if (index < 0 || index >= all.size())
        return tr("there is no overlay %1 (%2 shown)").arg(index + 1).arg(all.size());
    if (!std::isfinite(seconds) || std::abs(seconds) > kMaxShift)
        return tr("a shift of %1 s is not within ±1 day (±%2 s)").arg(shortest(seconds)).arg(kMaxShift);
    m_shifts[all[index].get()] = seconds;
    emit changed();
    return {};
}

QString OverlayRuns::parseShift(const QString& text, double& seconds) {
    QString number = text.trimmed();
    if (number.endsWith(QLatin1Char('s')))
        number = number.chopped(1).trimmed();
    bool ok = false;
    const double value = QLocale::c().toDouble(number, &ok);
    if (!ok)
        return tr("'%1' is not a shift in seconds (a number such as 12, -3.5 or +2 s)").arg(text);
    if (!std::isfinite(value))
        return tr("'%1' is not a finite number of seconds").arg(text);
    seconds = value; // its range is setShift()'s to judge
    return {};
}

void OverlayRuns::dropStaleShifts() {
    const Runs all = runs();
    for (auto it = m_shifts.begin(); it != m_shifts.end();) {
        const bool shown =
            std::any_of(all.begin(), all.end(), [&](const auto& r) { return r.get() == it.key(); });
        it = shown ? std::next(it) : m_shifts.erase(it);
    }
}
