#pragma once

#include <QLabel>
#include <QLineEdit>
#include <QSlider>
#include <QTimer>
#include <QWidget>

#include <functional>

// A slider over a fixed list of log-spaced steps plus an exact entry, for rate, payload and tasks.
// Drags are debounced: the value is applied on release, on Enter, or after the slider rests. A bad
// entry is refused in place with the parser's reason (Escape brings the last valid value back);
// nothing is clamped behind the user's back.
// Its parts are named "entry" and "slider" (for tests).
class LogSliderEntry : public QWidget {
    Q_OBJECT
public:
    struct Spec {
        QStringList steps;                                // slider positions, as typed ("1", "10k", "inf")
        std::function<QString(const QString&)> validate;  // empty = fine, else the reason
        std::function<QString(const QString&)> canonical; // "10000" -> "10k" (display form)
    };
    LogSliderEntry(const QString& label, Spec spec, QWidget* parent = nullptr);

    QString value() const { return m_value; }
    // Sets the shown value without emitting (e.g. restored settings, or after a refusal).
    void setValue(const QString& value);
    // Shows a refusal that came from the core (e.g. payload too big for UDP).
    void showError(const QString& reason);

signals:
    void valueChosen(const QString& value);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void commitEntry();
    // The entry in red (its text refused) or in the panel's colours; never changes its size.
    void markEntry(bool refused);
    void commitSlider();

    Spec m_spec;
    QSlider* m_slider;
    QLineEdit* m_entry;
    QLabel* m_error;
    QTimer m_debounce;
    QString m_value;
};
