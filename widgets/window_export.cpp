// The window's pictures: report pages of its plots (File > Export, --open/--export), the scripted
// screenshot, and how the plots are drawn (live while a run streams, smooth otherwise).
#include "main_window.h"

#include "distribution_plot.h"
#include "export_dialog.h"
#include "histogram_plot.h"
#include "overlay_runs.h"
#include "percentile_plot.h"
#include "plot_base.h"
#include "split_plot.h"

#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QSaveFile>
#include <QStatusBar>
#include <QTabWidget>

ExportConditions MainWindow::exportConditions() const {
    std::shared_ptr<const le::RunHistory> run = m_bridge->history();
    if (run->empty() && !m_overlays->runs().isEmpty())
        run = m_overlays->runs().front();
    QString window;
    if (m_tabs->currentWidget() == m_dashboard) {
        const QString histogram =
            m_wholeRunAction && m_wholeRunAction->isChecked() ? tr("whole run") : tr("last 1 s");
        const QString over = m_timeWindow > 0 ? tr("last %1 s").arg(m_timeWindow) : tr("whole run");
        window = tr("histogram %1, over time %2").arg(histogram, over);
    }
    return conditionsOf(*run, window, QApplication::applicationVersion());
}

QString MainWindow::exportWindow(const QString& path, ExportOptions options) {
    refreshPlots(true);
    if (!options.size.isValid())
        options.size = size();
    QString error;
    if (!ReportExport::save(m_tabs->currentWidget(), path, options, exportConditions(), &error))
        return error;
    return {};
}

QString MainWindow::screenshot(const QString& path) {
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == QLatin1String("pdf") || ext == QLatin1String("svg"))
        return exportWindow(path);
    const SmoothDrawing smooth(this);
    refreshPlots(true);
    showReadout(); // at 10 Hz it could be up to two records behind the plots, and disagree with them
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return tr("cannot write %1: %2").arg(path, file.errorString());
    if (!grab().save(&file, ext == QLatin1String("png") ? "png" : "jpeg"))
        return tr("cannot write %1: unknown or unwritable image format").arg(path);
    if (!file.commit())
        return tr("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

void MainWindow::exportPlotDialog(QWidget* plot, const QString& name) {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export %1").arg(name), name + QStringLiteral(".pdf"),
                                     tr("Images (*.pdf *.svg *.png *.jpg)"));
    if (path.isEmpty())
        return;
    ExportDialog dialog(plot->size(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    refreshPlots(true);
    QString error;
    if (!ReportExport::save(plot, path, dialog.options(), exportConditions(), &error))
        showError(tr("Export"), error);
    else
        statusBar()->showMessage(tr("Saved %1").arg(path), 3000);
}

void MainWindow::updateLiveDrawing() {
    const auto state = m_bridge->state();
    const bool live =
        !m_paused && (state == SessionBridge::State::Running || state == SessionBridge::State::Starting);
    for (PlotBase* plot : {static_cast<PlotBase*>(m_histogram), static_cast<PlotBase*>(m_percentiles),
                           static_cast<PlotBase*>(m_distribution), static_cast<PlotBase*>(m_split)}) {
        if (plot->liveDrawing() == live)
            continue;
        plot->setLiveDrawing(live);
        if (!live)
            plot->replot(QCustomPlot::rpQueuedReplot); // a paused or stopped view is drawn smooth
    }
}
