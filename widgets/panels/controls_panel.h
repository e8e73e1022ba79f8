#pragma once

#include "log_slider_entry.h"

#include <QComboBox>
#include <QLabel>
#include <QSpinBox>
#include <QWidget>

// Live controls: rate, payload, compute tasks and their work, closed/open loop. Each emits one
// change request when the user settles on a value; the window applies it to the running session
// and reports a refusal back with showError().
class ControlsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ControlsPanel(QWidget* parent = nullptr);

    LogSliderEntry* rate() const { return m_rate; }
    LogSliderEntry* payload() const { return m_payload; }
    LogSliderEntry* tasks() const { return m_tasks; }
    LogSliderEntry* taskWork() const { return m_taskWork; }
    QComboBox* loop() const { return m_loop; }
    bool openLoop() const { return m_loop->currentIndex() == 1; }
    int burst() const { return m_burst->value(); }
    QSpinBox* burstBox() const { return m_burst; }

    // The widget for a key ("rate", "payload", "tasks", "task-work"), or nullptr.
    LogSliderEntry* control(const QString& key) const;

    // Overload safety. The label beside the tasks ("loadLabel") shows the compute load the tasks
    // ask for (computeLoad) on the cores the ping may use. A tasks or task-work value above the
    // engine's limit is refused in place; one that takes the load above 100% is applied only once
    // the user confirmed (a question box named "overloadBox"); refused, the last value comes back.
    void setCores(int cores);
    void setTaskLimit(int limit, const QString& engine);
    // Takes the values shown now (restored settings, the command line) as the accepted ones.
    void syncApplied();
    // The load of the values shown now (1 = every core busy).
    double load() const;
    QLabel* loadLabel() const { return m_load; }

signals:
    void changeRequested(const QString& key, const QString& value);
    void loopChanged(bool openLoop);
    void burstChanged(int burst);

private:
    // Whether the new tasks/work value may be applied: within the limit, and confirmed above 100%.
    bool acceptLoad(LogSliderEntry* changed);
    void updateLoad();

    LogSliderEntry* m_rate;
    LogSliderEntry* m_payload;
    LogSliderEntry* m_tasks;
    LogSliderEntry* m_taskWork;
    QComboBox* m_loop;
    QSpinBox* m_burst;
    QLabel* m_load;
    int m_cores = 1;
    int m_taskLimit = 2000;
    QString m_engine = QStringLiteral("blocking");
    QString m_appliedTasks = QStringLiteral("0"), m_appliedWork = QStringLiteral("20us"); // last accepted
};
