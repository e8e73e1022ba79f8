// What the window reads and writes: sessions, interval records, images of itself, and the
// settings it remembers between runs (QSettings).
#include "main_window.h"

#include "qt_string.h"

#include "controls_panel.h"
#include "distribution_plot.h"
#include "file_io.h"
#include "histogram_plot.h"
#include "hlog_run.h"
#include "overlay_runs.h"
#include "peer_panel.h"
#include "percentile_plot.h"
#include "plot_export.h"
#include "run_export.h"
#include "session_file.h"
#include "split_plot.h"

#include <QDateTime>
#include <QDir>
#include <QScreen>
#include <QSettings>
#include <QShowEvent>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

void MainWindow::loadSettings(const WindowOptions& o) {
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    // The first start fits the screen (a 1280 x 720 laptop included); a remembered geometry from a
    // larger screen is brought back onto this one.
    const QRect screen = this->screen() ? this->screen()->availableGeometry() : QRect(0, 0, 1280, 800);
    if (!s.contains("window/geometry"))
        resize(std::min(1280, screen.width()), std::min(800, screen.height()));
    else if (width() > screen.width() || height() > screen.height())
        resize(std::min(width(), screen.width()), std::min(height(), screen.height()));
    m_peer->setMode(PeerPanel::Mode(s.value("peer/mode", 0).toInt()));
    m_peer->transportBox()->setCurrentIndex(s.value("peer/transport", 0).toInt());
    m_peer->engineBox()->setCurrentIndex(s.value("peer/engine", 0).toInt());
    // An existing peer comes back with its address, not the defaults (127.0.0.1:7700).
    if (s.contains("peer/host"))
        m_peer->hostEdit()->setText(s.value("peer/host").toString());
    if (s.contains("peer/port"))
        m_peer->portEdit()->setText(s.value("peer/port").toString());
    // 2k, not latency-ping's 1k: the curves' 1 s window then holds ~2000 round trips, so p99 (10 above
    // it: 1000) is drawn even when a closed loop falls a little short of its rate; at 1k it came and
    // went, and a first run showed it in pieces.
    m_controls->rate()->setValue(s.value("controls/rate", "2k").toString());
    m_controls->payload()->setValue(s.value("controls/payload", "64B").toString());
    m_controls->tasks()->setValue(s.value("controls/tasks", "0").toString());
    m_controls->taskWork()->setValue(s.value("controls/task-work", "20us").toString());
    m_controls->loop()->setCurrentIndex(s.value("controls/loop", 0).toInt());
    setWindowSeconds(s.value("view/window", 1.0).toDouble());
    // The command line wins over remembered settings.
    if (o.peer) {
        m_peer->setMode(PeerPanel::Mode::Existing);
        m_peer->setExistingPeer(*o.peer);
    } else if (o.inProcess) {
        m_peer->setMode(PeerPanel::Mode::InProcess);
    } else if (o.transport || o.engine) {
        m_peer->setMode(PeerPanel::Mode::Child);
    }
    if (o.transport)
        m_peer->setTransport(*o.transport);
    if (o.engine)
        m_peer->setEngine(*o.engine);
    if (o.rate)
        m_controls->rate()->setValue(*o.rate);
    if (o.payload)
        m_controls->payload()->setValue(*o.payload);
    if (o.tasks)
        m_controls->tasks()->setValue(*o.tasks);
    if (o.burst) {
        const QSignalBlocker quiet(m_controls->burstBox());
        m_controls->burstBox()->setValue(*o.burst);
    }
    if (o.openLoop)
        m_controls->loop()->setCurrentIndex(*o.openLoop ? 1 : 0);
    // Not quietly: the toggle also shows the split plot (idle, nothing restarts).
    m_peer->kernelTimestampsBox()->setChecked(
        o.kernelTimestamps.value_or(s.value("peer/kernel-timestamps", false).toBool()));
    m_splitP99Action->setChecked(s.value("view/split-p99", false).toBool());
    if (o.pingCpus)
        m_peer->pingCpusEdit()->setText(*o.pingCpus);
    if (o.pongCpus)
        m_peer->pongCpusEdit()->setText(*o.pongCpus);
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (!m_fitted && !isFullScreen() && !isMaximized()) {
        m_fitted = true;
        // Queued: the frame is known once the window system has placed the window.
        QMetaObject::invokeMethod(this, &MainWindow::fitToScreen, Qt::QueuedConnection);
    }
}

void MainWindow::fitToScreen() {
    if (!screen() || isFullScreen() || isMaximized())
        return;
    // loadSettings() sized the inside of the window to the screen; the frame and title bar come on
    // top of that (a 1280 x 720 screen got a window 1284 x 724, or 750 high with a title bar).
    const QRect area = screen()->availableGeometry();
    const QRect frame = frameGeometry();
    const int extraW = std::max(0, frame.width() - area.width());
    const int extraH = std::max(0, frame.height() - area.height());
    if (extraW > 0 || extraH > 0)
        resize(width() - extraW, height() - extraH);
    const QRect now = frameGeometry();
    const int x = std::clamp(now.x(), area.left(), std::max(area.left(), area.right() + 1 - now.width()));
    const int y = std::clamp(now.y(), area.top(), std::max(area.top(), area.bottom() + 1 - now.height()));
    if (x != now.x() || y != now.y())
        move(x, y);
}

void MainWindow::saveSettings() const {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("peer/mode", int(m_peer->mode()));
    s.setValue("peer/transport", m_peer->transportBox()->currentIndex());
    s.setValue("peer/engine", m_peer->engineBox()->currentIndex());
    s.setValue("peer/host", m_peer->hostEdit()->text());
    s.setValue("peer/port", m_peer->portEdit()->text());
    s.setValue("controls/rate", m_controls->rate()->value());
    s.setValue("controls/payload", m_controls->payload()->value());
    s.setValue("controls/tasks", m_controls->tasks()->value());
    s.setValue("controls/task-work", m_controls->taskWork()->value());
    s.setValue("controls/loop", m_controls->loop()->currentIndex());
    s.setValue("peer/kernel-timestamps", m_peer->kernelTimestamps());
    s.setValue("view/split-p99", m_splitP99Action->isChecked());
    s.setValue("view/window", m_bridge->windowSeconds());
}

QString MainWindow::openSession(const QString& path) {
    return m_overlays->open(path);
}

QString MainWindow::saveSession(const QString& path) {
    try {
        const auto run = m_bridge->history();
        le::save_session(path.toStdString(), *run);
        m_saved = run;
        m_savedCount = run->intervals().size();
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}

QString MainWindow::exportRecords(const QString& path) {
    const bool json = path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
    std::ofstream out(path.toStdString(), std::ios::trunc);
    if (!out)
        return tr("cannot write %1: %2").arg(path, qs(std::strerror(errno)));
    le::write_run_records(out, json ? le::RecordFormat::Json : le::RecordFormat::Csv, *m_bridge->history());
    out.flush();
    if (!out)
        return tr("cannot write %1: %2").arg(path, qs(std::strerror(errno)));
    return {};
}

QString MainWindow::exportPlotData(const QString& dir) {
    refreshPlots(true);
    if (!QDir().mkpath(dir))
        return tr("cannot create folder %1").arg(dir);
    const QDir d(dir);
    std::vector<std::pair<QString, QString>> files = {
        {QStringLiteral("curves.csv"), m_percentiles->plotData()},
        {QStringLiteral("histogram.csv"),
         PlotExport::graphData(m_histogram, QStringLiteral("rtt_us"), QStringLiteral("percent_of_samples"))},
        {QStringLiteral("distribution.csv"),
         PlotExport::graphData(m_distribution, QStringLiteral("one_in_n"), QStringLiteral("rtt_us"))},
    };
    if (!m_split->isHidden()) // the split as drawn: each part's stacked top (p50) or line (p99)
        files.emplace_back(QStringLiteral("split.csv"),
                           PlotExport::graphData(m_split, QStringLiteral("t_s"), QStringLiteral("us")));
    for (const auto& [name, text] : files) {
        try {
            le::write_file_atomically(d.filePath(name).toStdString(), text.toStdString());
        } catch (const std::exception& e) {
            return qs(e.what());
        }
    }
    return {};
}

QStringList MainWindow::openedRunNames() const {
    QStringList names;
    for (const auto& run : m_overlays->runs())
        names << qs(run->name());
    return names;
}

QString MainWindow::exportIntervalLog(const QString& path, const QString& run) {
    std::shared_ptr<const le::RunHistory> history = m_bridge->history();
    if (!run.isEmpty()) {
        const auto runs = m_overlays->runs();
        const auto it =
            std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return qs(r->name()) == run; });
        if (it == runs.end())
            return tr("no opened run is named %1").arg(run);
        history = *it;
    }
    // Rows count from the run's start; "started" is when it began (ISO 8601; local time when it has no
    // offset, as the live run stamps it).
    const auto started = history->info().find("started");
    const QDateTime at = started == history->info().end()
                             ? QDateTime()
                             : QDateTime::fromString(qs(started->second), Qt::ISODate);
    const double epoch = at.isValid() ? static_cast<double>(at.toMSecsSinceEpoch()) / 1e3 : 0.0;
    try {
        le::write_file_atomically(path.toStdString(), le::hlog_from_run(*history, epoch));
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}
