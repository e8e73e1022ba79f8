#pragma once

#include "sweep_plot.h"
#include "sweep_runner.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QWidget>

#include <atomic>
#include <memory>
#include <thread>

Q_DECLARE_METATYPE(le::SweepPointResult)
Q_DECLARE_METATYPE(le::SweepProgress)

// The Sweep tab: build a grid (or pick a preset), run it unattended on a worker thread with
// progress and ETA, and watch points land on the figure (x = achieved rate) as they finish. Saved
// sweeps load as overlays; the figure and the table export.
class SweepTab : public QWidget {
    Q_OBJECT
public:
    explicit SweepTab(QWidget* parent = nullptr);
    ~SweepTab() override;

    // The grid as the form describes it; throws std::invalid_argument naming the field.
    le::SweepSpec specFromForm() const;
    void applyPreset(const QString& name); // "study" or "quick"
    // Starts the form's sweep; returns an error for the user or an empty string.
    QString start();
    void cancel();
    bool running() const { return m_running; }

    // Adds a saved sweep as an overlay; returns an error for the user or an empty string.
    QString openSweep(const QString& path);
    void clearOverlays();
    // The figure (png/jpg/pdf/svg) and the table (csv/json) of the current sweep.
    QString exportFigure(const QString& path, QSize size = {});
    QString exportTable(const QString& path) const;

    SweepPlot* plot() const { return m_plot; }
    SweepTasksPlot* tasksPlot() const { return m_tasksPlot; }
    QProgressBar* progressBar() const { return m_progress; }
    QLabel* statusLabel() const { return m_status; }
    QLineEdit* ratesEdit() const { return m_rates; }
    QLineEdit* tasksEdit() const { return m_tasks; }
    QLineEdit* payloadsEdit() const { return m_payloads; }
    QLineEdit* durationEdit() const { return m_duration; }
    QLineEdit* warmupEdit() const { return m_warmup; }
    QLineEdit* outEdit() const { return m_out; }
    QCheckBox* icmpBox() const { return m_icmp; }
    QList<QCheckBox*> transportBoxes() const { return m_transports; }
    QList<QCheckBox*> engineBoxes() const { return m_engines; }
    std::shared_ptr<const le::SweepFile> current() const { return m_current; }

public slots:
    void refresh(bool force = false);

signals:
    void starting(); // the window stops live measuring: two measurements would disturb each other
    void pointFinished(const le::SweepPointResult& point);
    void finished(const QString& summary);
    // From the worker thread, delivered queued (value types).
    void workerPoint(le::SweepPointResult point);
    void workerProgress(le::SweepProgress progress);
    void workerDone(QString error);

private:
    QWidget* buildForm();
    void onPoint(const le::SweepPointResult& point);
    void onProgress(const le::SweepProgress& progress);
    void onDone(const QString& error);
    void setBusy(bool busy);
    void updateRates();
    QList<SweepData> sweeps() const;

    QComboBox* m_preset;
    QLineEdit* m_rates;
    QLineEdit* m_tasks;
    QLineEdit* m_payloads;
    QList<QCheckBox*> m_transports;
    QList<QCheckBox*> m_engines;
    QLineEdit* m_duration;
    QLineEdit* m_warmup;
    QLineEdit* m_pause;
    QSpinBox* m_repeat;
    QCheckBox* m_icmp;
    QLineEdit* m_peer;
    QLineEdit* m_out;
    QCheckBox* m_resume;
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
    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    bool m_running = false;
};
