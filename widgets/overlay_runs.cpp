#include "overlay_runs.h"

#include "hlog_run.h"
#include "qt_string.h"
#include "session_file.h"

#include <QFile>
#include <QFileInfo>

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
    emit changed();
}

void OverlayRuns::clear() {
    m_opened.clear();
    m_comparison.clear();
    emit changed();
}
