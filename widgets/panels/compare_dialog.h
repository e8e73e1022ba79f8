#pragma once

#include "background_worker.h"
#include "compare.h"
#include "run_history.h"

#include <QCheckBox>
#include <QDialog>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>

#include <memory>
#include <vector>

// A/B comparison in the window: the user picks engines, transports and task counts; the variants
// run alternately in short slices (A B A B ...) so drift hits all alike; each becomes a run that is
// overlaid on the plots, and a table gives p50/p99/p99.9/max with ratios to the first. Its parts
// have object names (every engineBox and transportBox, tasksEdit, sliceEdit, durationEdit,
// startButton, resultsTable) for tests and tools.
class CompareDialog : public QDialog {
    Q_OBJECT
public:
    explicit CompareDialog(QWidget* parent = nullptr);

    // The rest of the configuration comes from the window's controls; rate and payload are shown in
    // the dialog's own fields ("rateEdit", "payloadEdit"), where the user may change them.
    void setBase(const le::PingConfig& base);
    // Runs the comparison the form describes on the worker thread; a bad form says why in the
    // progress bar and starts nothing. Does nothing while one runs.
    void start();
    // Asks the running comparison to stop; it ends with the slices it has.
    void cancel();
    bool running() const { return !m_finished; }
    // The results table as CSV (a header line, then one line per variant).
    QString tableCsv() const;
    // Writes tableCsv() to `path`; returns an empty string or the error. The dialog's "Export CSV…"
    // ("exportButton") asks for the file, "Copy" ("copyButton") puts the CSV on the clipboard.
    QString exportTable(const QString& path) const;

signals:
    void starting(); // before the first slice: the window stops live measuring
    // The comparison's runs, to overlay (emitted as slices come in, and once more at the end).
    void runsChanged(const QList<std::shared_ptr<const le::RunHistory>>& runs);
    // One slice of `variant` (its name) was measured: the last `seconds`, up to now.
    void sliceMeasured(const QString& variant, double seconds);
    void finished();

private:
    void sliceDone(std::size_t variant, le::IntervalRecord slice);
    void showResults(const JobResult<std::vector<le::CompareResult>>& outcome);
    void setBusy(bool busy);
    void publishRuns();

    le::PingConfig m_base;
    QList<QCheckBox*> m_engines;
    QList<QCheckBox*> m_transports;
    QLineEdit* m_rate;
    QLineEdit* m_payload;
    QLineEdit* m_tasks;
    QLineEdit* m_slice;
    QLineEdit* m_duration;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QTableWidget* m_table;
    QList<std::shared_ptr<le::RunHistory>> m_runs;
    bool m_finished = true;
    double m_elapsed = 0; // position on the time axis of the slices done so far
    // Runs the comparison; last member, so it is stopped and joined before the rest goes.
    BackgroundWorker m_worker{this, "compare"};
};
