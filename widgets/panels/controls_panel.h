#pragma once

#include "log_slider_entry.h"

#include <QComboBox>
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

signals:
    void changeRequested(const QString& key, const QString& value);
    void loopChanged(bool openLoop);
    void burstChanged(int burst);

private:
    LogSliderEntry* m_rate;
    LogSliderEntry* m_payload;
    LogSliderEntry* m_tasks;
    LogSliderEntry* m_taskWork;
    QComboBox* m_loop;
    QSpinBox* m_burst;
};
