// The window's menus and toolbar, and the export dialog behind File > Export.
#include "main_window.h"

#include "compare_dialog.h"
#include "distribution_plot.h"
#include "histogram_plot.h"
#include "overlay_runs.h"
#include "percentile_plot.h"
#include "plot_export.h"
#include "plot_runs.h"
#include "split_plot.h"

#include <QActionGroup>
#include <QClipboard>
#include <QDockWidget>
#include <QFileDialog>
#include <QGuiApplication>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QToolBar>

void MainWindow::buildActions() {
    // A menu entry that asks for a file (to open or to write), runs `action` on it and shows the
    // error it returns, if any, under `errorTitle`.
    using FileAction = QString (MainWindow::*)(const QString&);
    const auto withFile = [this](bool open, const QString& title, const QString& suggested,
                                 const QString& filter, FileAction action, const QString& errorTitle) {
        return [this, open, title, suggested, filter, action, errorTitle] {
            const QString path = open ? QFileDialog::getOpenFileName(this, title, suggested, filter)
                                      : QFileDialog::getSaveFileName(this, title, suggested, filter);
            if (path.isEmpty())
                return;
            if (const QString e = (this->*action)(path); !e.isEmpty())
                showError(errorTitle, e);
        };
    };

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(QIcon::fromTheme("document-open"), tr("&Open Session as Overlay…"), QKeySequence::Open,
                    this,
                    withFile(true, tr("Open session"), {},
                             tr("Sessions and interval logs (*.json *.hlog);;Sessions (*.json);;HdrHistogram "
                                "interval logs (*.hlog);;All files (*)"),
                             &MainWindow::openSession, tr("Open session")));
    file->addAction(QIcon::fromTheme("document-save"), tr("&Save Run…"), QKeySequence::Save, this,
                    withFile(false, tr("Save run"), QStringLiteral("run.json"), tr("Sessions (*.json)"),
                             &MainWindow::saveSession, tr("Save run")));
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->addAction(tr("&Window Image…"), QKeySequence(tr("Ctrl+E")), this,
                          [this] { exportPlotDialog(m_tabs->currentWidget(), QStringLiteral("latency")); });
    exportMenu->addAction(tr("&Histogram…"), this, [this] { exportPlotDialog(m_histogram, "histogram"); });
    exportMenu->addAction(tr("&Percentiles over Time…"), this,
                          [this] { exportPlotDialog(m_percentiles, "percentiles"); });
    exportMenu->addAction(tr("Percentile &Distribution…"), this,
                          [this] { exportPlotDialog(m_distribution, "distribution"); });
    exportMenu->addAction(tr("Round-Trip &Split…"), this, [this] { exportPlotDialog(m_split, "split"); });
    exportMenu->addAction(tr("&Dashboard…"), this, [this] { exportPlotDialog(m_dashboard, "dashboard"); });
    exportMenu->addSeparator();
    exportMenu->addAction(tr("Plot &Data (CSV)…"), this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Folder for the plot data (one CSV per plot)"));
        if (dir.isEmpty())
            return;
        if (const QString e = exportPlotData(dir); !e.isEmpty())
            showError(tr("Export plot data"), e);
        else
            statusBar()->showMessage(tr("Plot data written to %1").arg(dir), 3000);
    });
    exportMenu->addAction(tr("Interval &Records (CSV/JSON)…"), this,
                          withFile(false, tr("Export records"), QStringLiteral("records.csv"),
                                   tr("Records (*.csv *.json)"), &MainWindow::exportRecords,
                                   tr("Export records")));
    exportMenu->addAction(tr("Interval &Log (.hlog)…"), this, [this] { exportIntervalLogDialog(); });
    file->addAction(
        QIcon::fromTheme("edit-copy"), tr("&Copy Dashboard Image"), QKeySequence::Copy, this, [this] {
            refreshPlots(true);
            QGuiApplication::clipboard()->setImage(ReportExport::render(m_dashboard, {}, exportConditions()));
            statusBar()->showMessage(tr("Dashboard copied to the clipboard"), 3000);
        });
    file->addSeparator();
    file->addAction(QIcon::fromTheme("application-exit"), tr("&Quit"), QKeySequence::Quit, this,
                    &QWidget::close);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    m_startAction = run->addAction(QIcon::fromTheme("media-playback-start"), tr("&Start"),
                                   QKeySequence(tr("F5")), this, &MainWindow::startMeasuring);
    m_stopAction = run->addAction(QIcon::fromTheme("media-playback-stop"), tr("S&top"),
                                  QKeySequence(tr("Shift+F5")), this, &MainWindow::stopMeasuring);
    QAction* compare =
        run->addAction(tr("&Compare Configurations (A/B)…"), QKeySequence(tr("Ctrl+K")), this, [this] {
            CompareDialog* d = compareDialog();
            d->show();
            d->raise();
        });
    compare->setObjectName(QStringLiteral("compareAction"));
    run->addAction(tr("&New Run (clear history, clock back to 0)"), this, [this] {
        m_bridge->clearHistory();
        m_dirty = true;
    });
    QAction* note =
        run->addAction(tr("Add &Note at Current Time…"), QKeySequence(tr("Ctrl+M")), this, [this] {
            const double t = m_bridge->elapsedSeconds(); // the moment asked, not the moment typed
            bool ok = false;
            const QString text = QInputDialog::getText(
                this, tr("Note"), tr("Note at %1 s:").arg(t, 0, 'f', 1), QLineEdit::Normal, {}, &ok);
            if (ok) {
                m_bridge->addNote(text, t);
                m_dirty = true;
            }
        });
    note->setObjectName(QStringLiteral("noteAction"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    m_pauseAction = view->addAction(QIcon::fromTheme("media-playback-pause"), tr("&Pause View"));
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcut(QKeySequence(tr("Space")));
    m_pauseAction->setToolTip(tr("Freeze the plots; measuring goes on"));
    connect(m_pauseAction, &QAction::toggled, this, &MainWindow::setPaused);
    m_wholeRunAction = view->addAction(tr("&Whole Run Histogram"));
    m_wholeRunAction->setCheckable(true);
    m_wholeRunAction->setToolTip(
        tr("Histogram and distribution of the whole run instead of the last second"));
    connect(m_wholeRunAction, &QAction::toggled, this, [this](bool whole) {
        m_histogram->setWholeRun(whole);
        m_distribution->setWholeRun(whole);
        m_dirty = true;
    });
    QMenu* percentileWindow = view->addMenu(tr("Percentile &Window"));
    percentileWindow->setToolTip(tr("Histogram, distribution, curves and readout: the last … of samples"));
    auto* windows = new QActionGroup(percentileWindow);
    for (double seconds : {0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0}) {
        QAction* a = percentileWindow->addAction(windowText(seconds));
        a->setCheckable(true);
        a->setData(seconds);
        a->setChecked(seconds == m_bridge->windowSeconds());
        windows->addAction(a);
        connect(a, &QAction::triggered, this, [this, seconds] { setWindowSeconds(seconds); });
    }
    m_windowActions = windows;
    QMenu* window = view->addMenu(tr("&Time Window"));
    auto* group = new QActionGroup(window);
    for (auto [label, seconds] : {std::pair{tr("10 s"), 10.0},
                                  {tr("60 s"), 60.0},
                                  {tr("5 min"), 300.0},
                                  {tr("∞ (whole run)"), 0.0}}) {
        QAction* a = window->addAction(label);
        a->setCheckable(true);
        a->setChecked(seconds == 60.0);
        group->addAction(a);
        connect(a, &QAction::triggered, this, [this, seconds = seconds] {
            m_timeWindow = seconds;
            m_percentiles->setTimeWindow(seconds);
            m_split->setTimeWindow(seconds);
            m_bridge->setDetailSpan(seconds > 0 ? seconds : kWholeRunDetail);
            m_dirty = true;
        });
    }
    m_percentiles->setTimeWindow(60.0);
    m_splitP99Action = view->addAction(tr("Split: p&99 Lines"));
    m_splitP99Action->setObjectName(QStringLiteral("splitP99Action"));
    m_splitP99Action->setCheckable(true);
    m_splitP99Action->setVisible(false); // while the split is off
    m_splitP99Action->setToolTip(tr("The round-trip split as each part's p99, one line per part (p99s do not "
                                    "add up, so they are not stacked), instead of the parts' p50s stacked"));
    m_followAction = view->addAction(tr("Auto-&Follow"));
    m_followAction->setCheckable(true);
    m_followAction->setChecked(true);
    connect(m_followAction, &QAction::toggled, this, [this](bool on) {
        m_percentiles->setAutoRange(on);
        m_split->setAutoRange(on);
        m_dirty = true;
    });
    view->addAction(QIcon::fromTheme("zoom-original"), tr("&Reset Axes"), QKeySequence(tr("Ctrl+0")), this,
                    [this] {
                        m_histogram->resetAxes();
                        m_percentiles->resetAxes();
                        m_distribution->resetAxes();
                        m_split->resetAxes();
                        m_followAction->setChecked(true);
                        m_dirty = true;
                    });
    // Every dock can be reopened from here once closed.
    for (const char* dock : {"peerDock", "controlsDock", "peersDock"})
        view->addAction(findChild<QDockWidget*>(QLatin1String(dock))->toggleViewAction());
    buildPresentActions(view, run);
    view->addAction(tr("&Clear Overlays"), m_overlays, &OverlayRuns::clear);
    buildShiftActions(view);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About"), this, [this] {
        QMessageBox::about(this, tr("About Latency Explorer"),
                           tr("<b>Latency Explorer</b><p>Round-trip latency, live: change rate, payload and "
                              "compute tasks while it measures, and watch HDR histograms and percentiles "
                              "answer.</p>"));
    });

    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->addAction(m_startAction);
    bar->addAction(m_stopAction);
    bar->addAction(m_pauseAction);
    bar->addAction(m_wholeRunAction);
    bar->addAction(m_followAction);
    bar->addAction(m_splitP99Action);
    m_startAction->setToolTip(tr("Start measuring (F5)"));
    m_stopAction->setToolTip(tr("Stop measuring; everything measured stays on screen (Shift+F5)"));
}

void MainWindow::exportIntervalLogDialog() {
    // The live run, or one of the opened runs (a saved session, another log) when there are any.
    QString run;
    if (const QStringList opened = openedRunNames(); !opened.isEmpty()) {
        bool ok = false;
        const QString live = tr("Live run");
        const QString choice = QInputDialog::getItem(this, tr("Export interval log"), tr("Run:"),
                                                     QStringList{live} + opened, 0, false, &ok);
        if (!ok)
            return;
        run = choice == live ? QString() : choice;
    }
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export interval log"), QStringLiteral("run.hlog"),
                                     tr("HdrHistogram interval logs (*.hlog)"));
    if (path.isEmpty())
        return;
    if (const QString e = exportIntervalLog(path, run); !e.isEmpty())
        showError(tr("Export interval log"), e);
}
