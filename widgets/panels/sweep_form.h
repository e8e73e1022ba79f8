#pragma once

#include "sweep_spec.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QList>
#include <QSpinBox>
#include <QWidget>

// The Sweep tab's form: the grid (rates, payloads, tasks, transports, engines), the time per
// point, the ICMP baseline, a remote peer and the file to save to. A preset fills it in; editing
// a field by hand turns the preset back to "custom". Its fields have object names (ratesEdit,
// tasksEdit, payloadsEdit, durationEdit, warmupEdit, outEdit, icmpBox; every transportBox and
// engineBox) for tests and tools that drive the form.
class SweepForm : public QWidget {
    Q_OBJECT
public:
    explicit SweepForm(QWidget* parent = nullptr);

    // The grid as the form describes it; throws std::invalid_argument naming the field.
    le::SweepSpec spec() const;
    void applyPreset(const QString& name); // "study" or "quick"
    // The file to save to, trimmed; empty: not saved.
    QString outPath() const { return m_out->text().trimmed(); }
    // Whether to skip the points the file already has.
    bool resume() const { return m_resume->isChecked(); }

private:
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
};
