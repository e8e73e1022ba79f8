#pragma once

#include "background_worker.h"
#include "sweep_form.h"
#include "sweep_plot.h"
#include "sweep_runner.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QWidget>

#include <memory>

Q_DECLARE_METATYPE(le::SweepPointResult)

// The Sweep tab: build a grid (or pick a preset) in the form, run it unattended on a worker
// thread with progress and ETA, and watch points land on the figure (x = achieved rate) as they
// finish. Saved sweeps load as overlays; the figure and the table export. Its parts have object
// names (the form's fields, progressBar, statusLabel, sweepPlot, tasksPlot) for tests and tools.
class SweepTab : public QWidget {
    Q_OBJECT
public:
    explicit SweepTab(QWidget* parent = nullptr);

    // Starts the form's sweep; returns an error for the user or an empty string.
    QString start();
    // Asks the running sweep to stop: the point in flight is dropped, finished points are kept.
    void cancel();
    bool running() const { return m_running; }

    // Adds a saved sweep as an overlay; returns an error for the user or an empty string.
    QString openSweep(const QString& path);
    void clearOverlays();
    // The figure (png/jpg/pdf/svg) and the table (csv/json) of the current sweep.
    QString exportFigure(const QString& path, QSize size = {});
    QString exportTable(const QString& path) const;

public slots:
    void refresh(bool force = false);

signals:
    void starting(); // the window stops live measuring: two measurements would disturb each other
    void pointFinished(const le::SweepPointResult& point);
    void finished(const QString& summary);

private:
    QWidget* buildRunColumn();
    void onPoint(const le::SweepPointResult& point);
    void onProgress(const le::SweepProgress& progress);
    void onDone(const JobResult<void>& result);
    void setBusy(bool busy);
    void updateRates();
    QList<SweepData> sweeps() const;

    SweepForm* m_form;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    QComboBox* m_percentile;
    QCheckBox* m_band;
    QCheckBox* m_markers;
    QComboBox* m_tasksRate;
    SweepPlot* m_plot;
    SweepTasksPlot* m_tasksPlot;

    std::shared_ptr<le::SweepFile> m_current; // the sweep being (or last) measured; GUI thread only
    QList<SweepData> m_overlays;
    bool m_running = false;
    bool m_cancelled = false; // cancel() was asked since the last start()
    // Runs the sweep; last member, so it is stopped and joined before the rest goes.
    BackgroundWorker m_worker{this, "sweep"};
};
