// What the window reads and writes: sessions, interval records, images of itself, and the
// settings it remembers between runs (QSettings).
#include "main_window.h"

#include "qt_string.h"

#include "controls_panel.h"
#include "distribution_plot.h"
#include "file_io.h"
#include "histogram_plot.h"
#include "overlay_runs.h"
#include "peer_panel.h"
#include "percentile_plot.h"
#include "plot_export.h"
#include "record_format.h"
#include "session_file.h"

#include <QDir>
#include <QSettings>

#include <cerrno>
#include <cstring>
#include <fstream>

void MainWindow::loadSettings(const WindowOptions& o) {
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    if (!s.contains("window/geometry"))
        resize(1280, 800);
    m_peer->setMode(PeerPanel::Mode(s.value("peer/mode", 0).toInt()));
    m_peer->transportBox()->setCurrentIndex(s.value("peer/transport", 0).toInt());
    m_peer->engineBox()->setCurrentIndex(s.value("peer/engine", 0).toInt());
    m_controls->rate()->setValue(s.value("controls/rate", "1k").toString());
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
    if (o.pingCpus)
        m_peer->pingCpusEdit()->setText(*o.pingCpus);
    if (o.pongCpus)
        m_peer->pongCpusEdit()->setText(*o.pongCpus);
}

void MainWindow::saveSettings() const {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("peer/mode", int(m_peer->mode()));
    s.setValue("peer/transport", m_peer->transportBox()->currentIndex());
    s.setValue("peer/engine", m_peer->engineBox()->currentIndex());
    s.setValue("controls/rate", m_controls->rate()->value());
    s.setValue("controls/payload", m_controls->payload()->value());
    s.setValue("controls/tasks", m_controls->tasks()->value());
    s.setValue("controls/task-work", m_controls->taskWork()->value());
    s.setValue("controls/loop", m_controls->loop()->currentIndex());
    s.setValue("view/window", m_bridge->windowSeconds());
}

QString MainWindow::openSession(const QString& path) {
    return m_overlays->open(path);
}

QString MainWindow::saveSession(const QString& path) {
    try {
        le::save_session(path.toStdString(), *m_bridge->history());
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
    const auto format = json ? le::RecordFormat::Json : le::RecordFormat::Csv;
    out << le::format_header(format);
    const auto history = m_bridge->history();
    for (const auto& r : history->intervals())
        out << le::format_record(format, r);
    if (history->summary())
        out << le::format_record(format, *history->summary());
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
    const std::pair<QString, QString> files[] = {
        {QStringLiteral("curves.csv"), m_percentiles->plotData()},
        {QStringLiteral("histogram.csv"),
         PlotExport::graphData(m_histogram, QStringLiteral("rtt_us"), QStringLiteral("percent_of_samples"))},
        {QStringLiteral("distribution.csv"),
         PlotExport::graphData(m_distribution, QStringLiteral("one_in_n"), QStringLiteral("rtt_us"))},
    };
    for (const auto& [name, text] : files) {
        try {
            le::write_file_atomically(d.filePath(name).toStdString(), text.toStdString());
        } catch (const std::exception& e) {
            return qs(e.what());
        }
    }
    return {};
}

QString MainWindow::exportWindow(const QString& path) {
    refreshPlots(true);
    QString error;
    if (!PlotExport::save(this, path, size(), 1.0, &error))
        return error;
    return {};
}
