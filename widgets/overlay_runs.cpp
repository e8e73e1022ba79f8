#include "overlay_runs.h"

#include "qt_string.h"
#include "session_file.h"

#include <QFileInfo>

OverlayRuns::OverlayRuns(QObject* parent)
    : QObject(parent) {}

QString OverlayRuns::open(const QString& path) {
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
