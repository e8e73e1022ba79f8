// The window's pictures: report pages of its plots (File > Export, --open/--export) and the
// scripted screenshot.
#include "main_window.h"

#include "export_dialog.h"
#include "overlay_runs.h"
#include "plot_base.h"

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
